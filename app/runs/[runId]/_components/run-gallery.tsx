"use client";

import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef } from "react";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { useGridColumns } from "../../../_components/use-grid-columns";
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
  const listRef = useRef<HTMLDivElement>(null);
  const columns = useGridColumns(listRef, CARD_MIN_WIDTH, GAP);
  const rowCount = Math.ceil(items.length / columns);
  const virtualizer = useWindowVirtualizer({
    count: rowCount,
    estimateSize: () => ESTIMATED_ROW_HEIGHT,
    overscan: 1,
    scrollMargin: listRef.current?.offsetTop ?? 0,
  });
  const lastRow = virtualizer.getVirtualItems().at(-1)?.index ?? -1;
  useEffect(() => {
    if (lastRow >= rowCount - 1 && hasMore && !isLoadingMore) onLoadMore();
  }, [lastRow, rowCount, hasMore, isLoadingMore, onLoadMore]);

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
