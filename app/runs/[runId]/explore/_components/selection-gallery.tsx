"use client";

import { useQueries } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";
import { useTRPC } from "~/app/_trpc/react";
import { ImageThumbnail } from "../../../../_components/image-thumbnail";
import { useGridColumns } from "../../../../_components/use-grid-columns";
import { VirtualGridRows } from "../../../../_components/virtual-grid-rows";
import { type AnalysisPoint, DETAILS_PAGE } from "./explorer-data";

const THUMB_MIN_WIDTH = 112;
const GAP = 8;
// A thumbnail row: the square picture plus its file name; rows are measured once drawn.
const ESTIMATED_ROW_HEIGHT = 150;

/**
 * Thumbnails of the selected images (all images while nothing is selected) in a virtualised scroll box: only the
 * rows in view are in the DOM, and only their points' names and thumbnails are fetched (a page of details at a
 * time), so a million-image selection costs no more than a small one. A click opens one.
 */
export function SelectionGallery({
  runId,
  total,
  selected,
  onOpen,
}: {
  runId: string;
  /** The run's point count. */
  total: number;
  /** The selected points, sorted; null: nothing selected (the gallery shows every point). */
  selected: Uint32Array | null;
  onOpen: (imageId: string) => void;
}) {
  const trpc = useTRPC();
  const scrollRef = useRef<HTMLDivElement>(null);
  const columns = useGridColumns(scrollRef, THUMB_MIN_WIDTH, GAP);
  const count = selected === null ? total : selected.length;
  const indexAt = (position: number) => (selected === null ? position : (selected[position] ?? 0));
  const virtualizer = useVirtualizer({
    count: Math.ceil(count / columns),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_ROW_HEIGHT,
    overscan: 2,
  });
  const rows = virtualizer.getVirtualItems();
  const first = (rows[0]?.index ?? 0) * columns;
  const last = Math.min(count, ((rows.at(-1)?.index ?? 0) + 1) * columns);
  const pages: number[] = [];
  for (let page = Math.floor(first / DETAILS_PAGE); page * DETAILS_PAGE < last; page++) pages.push(page);
  const details = useQueries({
    queries: pages.map((page) => {
      const indices: number[] = [];
      for (let p = page * DETAILS_PAGE; p < Math.min(count, (page + 1) * DETAILS_PAGE); p++)
        indices.push(indexAt(p));
      return trpc.explorer.pointDetails.queryOptions({ runId, indices }, { staleTime: 60_000 });
    }),
  });
  const byIndex = new Map<number, AnalysisPoint>();
  for (const page of details) for (const point of page.data ?? []) byIndex.set(point.index, point);
  return (
    <section aria-label="Gallery" className="space-y-3">
      <h2 className="font-medium text-muted text-sm uppercase tracking-wide">
        {selected !== null ? `Selection · ${count} images` : `All images · ${count}`}
      </h2>
      {selected === null ? (
        <p className="text-muted text-sm">Lasso or box points in any panel to filter this gallery.</p>
      ) : null}
      {count === 0 ? <p className="text-muted text-sm">No images in the selection.</p> : null}
      <div
        ref={scrollRef}
        data-testid="explorer-gallery"
        data-total={count}
        className="max-h-[28rem] overflow-y-auto rounded border border-line"
      >
        <VirtualGridRows
          virtualizer={virtualizer}
          count={count}
          columns={columns}
          gap={GAP}
          className="p-1"
          // Each position shows its point once its page of details is in.
          renderItem={(position) => {
            const image = byIndex.get(indexAt(position));
            if (image === undefined)
              return (
                <li key={`pending-${position}`} className="aspect-square animate-pulse rounded bg-panel" />
              );
            return (
              <li key={image.imageId} data-testid="gallery-item" data-image-id={image.imageId}>
                <button
                  type="button"
                  onClick={() => onOpen(image.imageId)}
                  title={image.caption ?? image.fileName}
                  className="block w-full overflow-hidden rounded border border-line bg-panel hover:border-accent focus-visible:border-accent"
                >
                  <ImageThumbnail image={image} />
                  <span className="block truncate px-1 py-0.5 text-left text-xs">{image.fileName}</span>
                </button>
              </li>
            );
          }}
        />
      </div>
    </section>
  );
}
