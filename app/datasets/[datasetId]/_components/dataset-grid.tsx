"use client";

import { type GridLayout, PagedWindowGrid } from "~/app/_components/paged-window-grid";
import type { RouterOutputs } from "~/app/_trpc/router-types";

type Item = RouterOutputs["datasets"]["items"]["items"][number];

// A tile is a square thumbnail plus its name, caption and labels.
const TILE_LAYOUT: GridLayout = { minWidth: 160, gap: 12, estimatedRowHeight: 250, overscan: 2 };

/** The dataset's items as tiles, loaded page by page as the user scrolls. */
export function DatasetGrid(page: {
  items: Item[];
  total: number;
  hasMore: boolean;
  isLoadingMore: boolean;
  onLoadMore: () => void;
}) {
  return (
    <PagedWindowGrid
      {...page}
      layout={TILE_LAYOUT}
      testId="dataset-grid"
      noun="files"
      rowClassName="pb-3"
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
  );
}
