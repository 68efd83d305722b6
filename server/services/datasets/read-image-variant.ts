import { AppError } from "~/server/app-error";
import { readStoredFile, SHA256_PATTERN } from "~/server/store/content-store";
import type { Db } from "~/server/store/db";

export const IMAGE_VARIANTS = ["thumbnail", "original"] as const;
export type ImageVariant = (typeof IMAGE_VARIANTS)[number];

// Formats as sharp names them → what browsers expect. Anything else is served as a download.
const CONTENT_TYPES: Record<string, string> = {
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  tiff: "image/tiff",
  heif: "image/avif",
  avif: "image/avif",
  svg: "image/svg+xml",
};

/** A stored image file's bytes: its WebP thumbnail or the original as uploaded. */
export async function readImageVariant(options: {
  db: Db;
  dataDir: string;
  sha256: string;
  variant: string;
}): Promise<{ bytes: Buffer; contentType: string; isImage: boolean }> {
  const { db, dataDir, sha256, variant } = options;
  if (!SHA256_PATTERN.test(sha256) || !(IMAGE_VARIANTS as readonly string[]).includes(variant)) {
    throw new AppError(
      "NOT_FOUND",
      "No such image: expected /api/images/<64 hex digits>/thumbnail|original.",
    );
  }
  const image = await db.image.findUnique({ where: { sha256 } });
  if (!image) throw new AppError("NOT_FOUND", `No image with sha256 ${sha256}.`);
  if (variant === "thumbnail") {
    if (image.thumbnailPath === null) {
      throw new AppError(
        "NOT_FOUND",
        `This file has no thumbnail: ${image.problem ?? "it is not a readable image."}`,
      );
    }
    return {
      bytes: await readStoredFile(dataDir, image.thumbnailPath),
      contentType: "image/webp",
      isImage: true,
    };
  }
  const contentType =
    image.problem === null && image.format !== null ? CONTENT_TYPES[image.format] : undefined;
  return {
    bytes: await readStoredFile(dataDir, image.storagePath),
    contentType: contentType ?? "application/octet-stream",
    isImage: contentType !== undefined,
  };
}
