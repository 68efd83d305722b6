"use client";

import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef } from "react";
import { useGridColumns } from "./use-grid-columns";

/**
 * A window-virtualised grid of paged items: as many columns of `minWidth` px as fit the list element (the returned
 * ref), rows estimated at `estimatedRowHeight` px until measured, and `onLoadMore` called once the last loaded row
 * comes into view while more pages remain. Render the rows with VirtualGridRows.
 */
export function usePagedWindowGrid(options: {
  itemCount: number;
  minWidth: number;
  gap: number;
  estimatedRowHeight: number;
  /** Rows drawn beyond the viewport on each side: fewer for tall rows. */
  overscan: number;
  hasMore: boolean;
  isLoadingMore: boolean;
  onLoadMore: () => void;
}) {
  const { itemCount, minWidth, gap, estimatedRowHeight, overscan, hasMore, isLoadingMore, onLoadMore } =
    options;
  const listRef = useRef<HTMLDivElement>(null);
  const columns = useGridColumns(listRef, minWidth, gap);
  const rowCount = Math.ceil(itemCount / columns);
  const virtualizer = useWindowVirtualizer({
    count: rowCount,
    estimateSize: () => estimatedRowHeight,
    overscan,
    scrollMargin: listRef.current?.offsetTop ?? 0,
  });
  const lastRow = virtualizer.getVirtualItems().at(-1)?.index ?? -1;
  useEffect(() => {
    if (lastRow >= rowCount - 1 && hasMore && !isLoadingMore) onLoadMore();
  }, [lastRow, rowCount, hasMore, isLoadingMore, onLoadMore]);
  return { listRef, columns, virtualizer };
}
