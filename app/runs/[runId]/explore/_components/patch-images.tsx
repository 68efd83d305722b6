"use client";

import { useMemo } from "react";
import { thumbnailUrl } from "~/app/_components/image-thumbnail";
import { type DecodedPatchPanel, selectedPatchesByImage } from "~/lib/viz/patches";
import type { AnalysisPoint } from "./explorer-data";

/**
 * The images of a patch layout, each with its patch grid drawn over it: selected patches (a lasso, a box or a
 * legend cluster in the patch panel) light up, the rest dim, so a cluster of tokens shows where it sits.
 */
export function PatchImages({
  images,
  details,
  selectedRows,
  onOpen,
}: {
  images: DecodedPatchPanel["images"];
  /** The images' names and thumbnails, by image id. */
  details: ReadonlyMap<string, AnalysisPoint>;
  selectedRows: Iterable<number> & { size: number };
  onOpen: (imageId: string) => void;
}) {
  const byImage = useMemo(() => selectedPatchesByImage(images, selectedRows), [images, selectedRows]);
  const hasSelection = selectedRows.size > 0;
  return (
    <section aria-label="Patches on their images" className="space-y-3">
      <h2 className="font-medium text-muted text-sm uppercase tracking-wide">
        Patches on their images · {images.length} images
      </h2>
      <p className="text-muted text-sm">
        Select patch points (lasso, box, or a legend entry such as a cluster) to light up those patches here.
      </p>
      <ul data-testid="patch-images" className="grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-6">
        {images.map((image) => {
          const point = details.get(image.imageId);
          const [rows, cols] = image.grid;
          const lit = byImage.get(image.imageId);
          return (
            <li key={image.imageId} data-testid="patch-image" data-lit={lit?.size ?? 0}>
              <button
                type="button"
                onClick={() => onOpen(image.imageId)}
                className="block w-full overflow-hidden rounded border border-line hover:border-accent"
                title={point?.caption ?? point?.fileName}
              >
                <svg
                  viewBox={`0 0 ${cols} ${rows}`}
                  className="block aspect-square w-full bg-black"
                  role="img"
                  aria-label={point?.fileName}
                >
                  <image
                    href={point === undefined ? undefined : thumbnailUrl(point.sha256)}
                    width={cols}
                    height={rows}
                    preserveAspectRatio="none"
                  />
                  {hasSelection
                    ? Array.from({ length: rows * cols }, (_, patch) => {
                        const isLit = lit?.has(patch) === true;
                        return (
                          <rect
                            // biome-ignore lint/suspicious/noArrayIndexKey: a grid cell is its index.
                            key={patch}
                            x={patch % cols}
                            y={Math.floor(patch / cols)}
                            width={1}
                            height={1}
                            fill={isLit ? "#5eb1ff" : "#000000"}
                            fillOpacity={isLit ? 0.45 : 0.6}
                          />
                        );
                      })
                    : null}
                </svg>
                <span className="block truncate px-1 py-0.5 text-left text-xs">
                  {point?.fileName} {lit ? `· ${lit.size} lit` : ""}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
