"use client";

import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { type ReactNode, useEffect, useRef } from "react";
import { useGridColumns } from "./use-grid-columns";
import { VirtualGridRows } from "./virtual-grid-rows";

/** How a paged grid lays out its tiles. */
export interface GridLayout {
  /** A column's least width in px: as many columns as fit the grid's width. */
  minWidth: number;
  gap: number;
  /** A row's height in px until it is measured once drawn. */
  estimatedRowHeight: number;
  /** Rows drawn beyond the viewport on each side: fewer for tall rows. */
  overscan: number;
}

/**
 * Loaded pages of a list as a window-virtualised grid: only the rows near the viewport are in the DOM, and
 * `onLoadMore` fetches the next page when the last loaded row comes into view; a line under it counts what is
 * loaded (`noun`: what the items are).
 */
export function PagedWindowGrid<T>({
  items,
  total,
  hasMore,
  isLoadingMore,
  onLoadMore,
  layout,
  testId,
  noun,
  rowClassName,
  renderItem,
}: {
  items: readonly T[];
  total: number;
  hasMore: boolean;
  isLoadingMore: boolean;
  onLoadMore: () => void;
  layout: GridLayout;
  testId: string;
  noun: string;
  rowClassName: string;
  renderItem: (item: T) => ReactNode;
}) {
  const listRef = useRef<HTMLDivElement>(null);
  const columns = useGridColumns(listRef, layout.minWidth, layout.gap);
  const rowCount = Math.ceil(items.length / columns);
  const virtualizer = useWindowVirtualizer({
    count: rowCount,
    estimateSize: () => layout.estimatedRowHeight,
    overscan: layout.overscan,
    scrollMargin: listRef.current?.offsetTop ?? 0,
  });
  const lastRow = virtualizer.getVirtualItems().at(-1)?.index ?? -1;
  useEffect(() => {
    if (lastRow >= rowCount - 1 && hasMore && !isLoadingMore) onLoadMore();
  }, [lastRow, rowCount, hasMore, isLoadingMore, onLoadMore]);

  return (
    <div ref={listRef} data-testid={testId} data-total={total} data-loaded={items.length}>
      <VirtualGridRows
        virtualizer={virtualizer}
        count={items.length}
        columns={columns}
        gap={layout.gap}
        className={rowClassName}
        renderItem={(position) => {
          const item = items[position];
          return item === undefined ? null : renderItem(item);
        }}
      />
      <p className="text-muted text-sm" aria-live="polite">
        {isLoadingMore ? "Loading more images…" : `${items.length} of ${total} ${noun}`}
      </p>
    </div>
  );
}
