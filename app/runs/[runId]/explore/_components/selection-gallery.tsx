"use client";

import { useState } from "react";

interface GalleryImage {
  imageId: string;
  sha256: string;
  fileName: string;
  caption: string | null;
}

// One screenful of thumbnails; more on demand so a 200,000-image selection stays cheap.
const PAGE_SIZE = 60;

/** Thumbnails of the selected images (all images while nothing is selected); a click opens one. */
export function SelectionGallery({
  images,
  isFiltered,
  onOpen,
}: {
  images: GalleryImage[];
  isFiltered: boolean;
  onOpen: (imageId: string) => void;
}) {
  const [shown, setShown] = useState(PAGE_SIZE);
  return (
    <section aria-label="Gallery" className="space-y-3">
      <h2 className="font-medium text-muted text-sm uppercase tracking-wide">
        {isFiltered ? `Selection · ${images.length} images` : `All images · ${images.length}`}
      </h2>
      {!isFiltered ? (
        <p className="text-muted text-sm">Lasso or box points in any panel to filter this gallery.</p>
      ) : null}
      {images.length === 0 ? (
        <p className="text-muted text-sm">No images in the selection.</p>
      ) : (
        <ul data-testid="explorer-gallery" className="grid grid-cols-3 gap-2 sm:grid-cols-5 lg:grid-cols-8">
          {images.slice(0, shown).map((image) => (
            <li key={image.imageId} data-testid="gallery-item" data-image-id={image.imageId}>
              <button
                type="button"
                onClick={() => onOpen(image.imageId)}
                title={image.caption ?? image.fileName}
                className="block w-full overflow-hidden rounded border border-line bg-panel hover:border-accent focus-visible:border-accent"
              >
                {/* biome-ignore lint/performance/noImgElement: content-addressed WebP thumbnails need no optimizer. */}
                <img
                  src={`/api/images/${image.sha256}/thumbnail`}
                  alt={image.caption ?? image.fileName}
                  loading="lazy"
                  className="aspect-square w-full object-cover"
                />
                <span className="block truncate px-1 py-0.5 text-left text-xs">{image.fileName}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {images.length > shown ? (
        <button
          type="button"
          onClick={() => setShown((n) => n + PAGE_SIZE)}
          className="rounded border border-line px-3 py-1 text-sm hover:border-accent"
        >
          Show more ({images.length - shown} left)
        </button>
      ) : null}
    </section>
  );
}
