/** Where a stored image's thumbnail is served: content-addressed by the image's sha256. */
export function thumbnailUrl(sha256: string): string {
  return `/api/images/${sha256}/thumbnail`;
}

/** An image's square thumbnail, described by its caption (its file name where it has none). */
export function ImageThumbnail({
  image,
}: {
  image: { sha256: string; fileName: string; caption: string | null };
}) {
  return (
    // biome-ignore lint/performance/noImgElement: content-addressed WebP thumbnails need no optimizer.
    <img
      src={thumbnailUrl(image.sha256)}
      alt={image.caption ?? image.fileName}
      className="aspect-square w-full object-cover"
    />
  );
}
