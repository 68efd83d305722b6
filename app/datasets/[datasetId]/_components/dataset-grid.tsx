"use client";

import { usePagedWindowGrid } from "~/app/_components/use-paged-window-grid";
import { VirtualGridRows } from "~/app/_components/virtual-grid-rows";
import type { RouterOutputs } from "~/app/_trpc/router-types";

type Item = RouterOutputs["datasets"]["items"]["items"][number];

const TILE_MIN_WIDTH = 160;
const GAP = 12;
// A tile is a square thumbnail plus its name, caption and labels; rows are measured once drawn.
const ESTIMATED_ROW_HEIGHT = 250;

/** The dataset's items as a window-virtualised grid; the next page loads when the last row comes into view. */
export function DatasetGrid(props: {
  items: Item[];
  total: number;
  hasMore: boolean;
  isLoadingMore: boolean;
  onLoadMore: () => void;
}) {
  const { items, hasMore, isLoadingMore, onLoadMore } = props;
  const { listRef, columns, virtualizer } = usePagedWindowGrid({
    itemCount: items.length,
    minWidth: TILE_MIN_WIDTH,
    gap: GAP,
    estimatedRowHeight: ESTIMATED_ROW_HEIGHT,
    overscan: 2,
    hasMore,
    isLoadingMore,
    onLoadMore,
  });

  return (
    <div ref={listRef} data-testid="dataset-grid" data-total={props.total} data-loaded={items.length}>
      <VirtualGridRows
        virtualizer={virtualizer}
        items={items}
        columns={columns}
        gap={GAP}
        className="pb-3"
        renderItem={(item) => (
          <li
            key={item.itemId}
            data-testid="dataset-item"
            data-file-name={item.fileName}
            data-readable={item.problem === null}
            className="overflow-hidden rounded border border-line bg-panel text-xs"
          >
            {item.thumbnailUrl !== null ? (
              // biome-ignore lint/performance/noImgElement: thumbnails are served as stored, already small
              <img
                src={item.thumbnailUrl}
                alt={item.caption ?? item.fileName}
                loading="lazy"
                className="aspect-square w-full bg-surface object-contain"
              />
            ) : (
              <div className="flex aspect-square w-full items-center justify-center bg-surface p-2 text-bad">
                {item.problem}
              </div>
            )}
            <div className="space-y-0.5 p-2">
              <p className="truncate font-mono" title={item.fileName}>
                {item.fileName}
              </p>
              {item.caption !== null ? <p className="text-muted">{item.caption}</p> : null}
              {item.labels !== null ? (
                <p className="text-accent">
                  {Object.entries(item.labels)
                    .map(([key, value]) => `${key}: ${String(value)}`)
                    .join(" · ")}
                </p>
              ) : null}
              {item.split !== null ? <p className="text-muted">split: {item.split}</p> : null}
            </div>
          </li>
        )}
      />
      <p className="text-muted text-sm" aria-live="polite">
        {isLoadingMore ? "Loading more images…" : `${items.length} of ${props.total} files`}
      </p>
    </div>
  );
}
