"use client";

import { usePagedWindowGrid } from "~/app/_components/use-paged-window-grid";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { VirtualGridRows } from "../../../_components/virtual-grid-rows";
import { ImageCard } from "./image-card";

type RunImage = RouterOutputs["runs"]["images"]["items"][number];

const CARD_MIN_WIDTH = 320;
const GAP = 16;
// A card is a square image plus its answers; rows are measured once drawn.
const ESTIMATED_ROW_HEIGHT = 640;

/**
 * The run's cards as a window-virtualised grid: only the rows near the viewport are in the DOM, and the next page
 * of cards is fetched when the last loaded row comes into view.
 */
export function RunGallery({
  items,
  total,
  hasMore,
  isLoadingMore,
  onLoadMore,
}: {
  items: RunImage[];
  total: number;
  hasMore: boolean;
  isLoadingMore: boolean;
  onLoadMore: () => void;
}) {
  const { listRef, columns, virtualizer } = usePagedWindowGrid({
    itemCount: items.length,
    minWidth: CARD_MIN_WIDTH,
    gap: GAP,
    estimatedRowHeight: ESTIMATED_ROW_HEIGHT,
    overscan: 1,
    hasMore,
    isLoadingMore,
    onLoadMore,
  });

  return (
    <div ref={listRef} data-testid="run-gallery" data-total={total} data-loaded={items.length}>
      <VirtualGridRows
        virtualizer={virtualizer}
        items={items}
        columns={columns}
        gap={GAP}
        className="pb-4"
        renderItem={(item) => <ImageCard key={item.imageId} item={item} />}
      />
      <p className="text-muted text-sm" aria-live="polite">
        {isLoadingMore ? "Loading more images…" : `${items.length} of ${total} images`}
      </p>
    </div>
  );
}
