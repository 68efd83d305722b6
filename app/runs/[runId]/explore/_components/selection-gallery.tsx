"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";
import { ImageThumbnail } from "../../../../_components/image-thumbnail";
import { useGridColumns } from "../../../../_components/use-grid-columns";
import { VirtualGridRows } from "../../../../_components/virtual-grid-rows";

interface GalleryImage {
  imageId: string;
  sha256: string;
  fileName: string;
  caption: string | null;
}

const THUMB_MIN_WIDTH = 112;
const GAP = 8;
// A thumbnail row: the square picture plus its file name; rows are measured once drawn.
const ESTIMATED_ROW_HEIGHT = 150;

/**
 * Thumbnails of the selected images (all images while nothing is selected) in a virtualised scroll box: only the
 * rows in view are in the DOM, so a 200,000-image selection costs no more than a small one. A click opens one.
 */
export function SelectionGallery({
  images,
  isFiltered,
  onOpen,
}: {
  images: GalleryImage[];
  isFiltered: boolean;
  onOpen: (imageId: string) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const columns = useGridColumns(scrollRef, THUMB_MIN_WIDTH, GAP);
  const virtualizer = useVirtualizer({
    count: Math.ceil(images.length / columns),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_ROW_HEIGHT,
    overscan: 2,
  });
  return (
    <section aria-label="Gallery" className="space-y-3">
      <h2 className="font-medium text-muted text-sm uppercase tracking-wide">
        {isFiltered ? `Selection · ${images.length} images` : `All images · ${images.length}`}
      </h2>
      {!isFiltered ? (
        <p className="text-muted text-sm">Lasso or box points in any panel to filter this gallery.</p>
      ) : null}
      {images.length === 0 ? <p className="text-muted text-sm">No images in the selection.</p> : null}
      <div
        ref={scrollRef}
        data-testid="explorer-gallery"
        data-total={images.length}
        className="max-h-[28rem] overflow-y-auto rounded border border-line"
      >
        <VirtualGridRows
          virtualizer={virtualizer}
          items={images}
          columns={columns}
          gap={GAP}
          className="p-1"
          renderItem={(image) => (
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
          )}
        />
      </div>
    </section>
  );
}
