"use client";

import { type GridLayout, PagedWindowGrid } from "~/app/_components/paged-window-grid";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { ImageCard } from "./image-card";

type RunImage = RouterOutputs["runs"]["images"]["items"][number];

// A card is a square image plus its answers: tall rows, so one row of overscan.
const CARD_LAYOUT: GridLayout = { minWidth: 320, gap: 16, estimatedRowHeight: 640, overscan: 1 };

/** The run's cards, loaded page by page as the user scrolls. */
export function RunGallery(page: {
  items: RunImage[];
  total: number;
  hasMore: boolean;
  isLoadingMore: boolean;
  onLoadMore: () => void;
}) {
  return (
    <PagedWindowGrid
      {...page}
      layout={CARD_LAYOUT}
      testId="run-gallery"
      noun="images"
      rowClassName="pb-4"
      renderItem={(item) => <ImageCard key={item.imageId} item={item} />}
    />
  );
}
