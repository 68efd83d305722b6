import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { AppError } from "~/server/app-error";
import { DEFAULT_GUARDS } from "~/server/env";
import type { Db } from "./db";
import { probeImage } from "./image-probe";

/**
 * Image files stored once by content: `DATA_DIR/images/<aa>/<sha256>` (no extension: the format is in the row)
 * and `DATA_DIR/thumbnails/<aa>/<sha256>.webp`, where `aa` is the hash's first two hex digits (keeps folders
 * small). Rows keep these paths relative to DATA_DIR, so the data folder can move.
 */
export interface StoredImage {
  id: string;
  sha256: string;
  width: number | null;
  height: number | null;
  format: string | null;
  /** Why the file is not a readable image; null when it is one. */
  problem: string | null;
  bytes: number;
  storagePath: string;
  thumbnailPath: string | null;
  /** False when the same bytes were already stored (nothing was written). */
  isNew: boolean;
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export function originalPathFor(sha256: string): string {
  return path.posix.join("images", sha256.slice(0, 2), sha256);
}

export function thumbnailPathFor(sha256: string): string {
  return path.posix.join("thumbnails", sha256.slice(0, 2), `${sha256}.webp`);
}

/**
 * Stores one file by its sha256 and upserts its `Image` row. Files that are not readable images are kept too,
 * with `problem` saying why (a run records them as failed). Same bytes twice: one file, one row.
 */
export async function storeFile(options: {
  db: Db;
  dataDir: string;
  bytes: Uint8Array;
  /** Only for error messages: the name the file came with. */
  fileName?: string;
  /** Decompression-bomb guard (MAX_IMAGE_PIXELS, passed by the composition root); its default otherwise. */
  maxInputPixels?: number;
}): Promise<StoredImage> {
  const { db, dataDir, bytes } = options;
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const storagePath = originalPathFor(sha256);

  const existing = await db.image.findUnique({ where: { sha256 } });
  if (existing && (await isStoredIntact(dataDir, existing.storagePath, existing.thumbnailPath))) {
    return { ...toStoredImage(existing), isNew: false };
  }

  const probe = await probeImage(bytes, options.maxInputPixels ?? DEFAULT_GUARDS.maxImagePixels);
  try {
    await writeFileAtomic(path.join(dataDir, storagePath), bytes);
    if (probe.ok) await writeFileAtomic(path.join(dataDir, thumbnailPathFor(sha256)), probe.thumbnail);
  } catch (error) {
    throw new Error(`Could not store ${options.fileName ?? sha256} under ${dataDir}: ${String(error)}`, {
      cause: error,
    });
  }
  const fields = {
    width: probe.width,
    height: probe.height,
    format: probe.format,
    problem: probe.ok ? null : probe.problem,
    bytes: bytes.byteLength,
    storagePath,
    thumbnailPath: probe.ok ? thumbnailPathFor(sha256) : null,
  };
  // An existing row whose files went missing (a restored database, a pruned folder) is repaired in place.
  const row = await db.image.upsert({ where: { sha256 }, create: { sha256, ...fields }, update: fields });
  return { ...toStoredImage(row), isNew: existing === null };
}

/**
 * Removes the given images' rows and files (original and thumbnail) when nothing uses them any more: no dataset
 * item, run result or pooled vector. Content addressing shares one file among every dataset holding the same
 * bytes, so an image another dataset or run still holds is kept. Rows go first, in one transaction, so a file is
 * only unlinked once no row can point at it.
 */
export async function removeUnusedImages(options: {
  db: Db;
  dataDir: string;
  imageIds: readonly string[];
}): Promise<{ removed: number; kept: number; files: number }> {
  const { db, dataDir } = options;
  const unused = await db.$transaction(async (tx) => {
    const rows = await tx.image.findMany({
      where: {
        id: { in: [...options.imageIds] },
        items: { none: {} },
        results: { none: {} },
        pooled: { none: {} },
      },
      select: { id: true, storagePath: true, thumbnailPath: true },
    });
    await tx.image.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } });
    return rows;
  });
  let files = 0;
  for (const row of unused) {
    for (const stored of [row.storagePath, row.thumbnailPath]) {
      if (stored === null) continue;
      const full = insideDataDir(dataDir, stored);
      if (await exists(full)) files++;
      await fs.rm(full, { force: true });
    }
  }
  return { removed: unused.length, kept: new Set(options.imageIds).size - unused.length, files };
}

/** Reads a file stored under DATA_DIR by its relative path; refuses paths that leave DATA_DIR. */
export async function readStoredFile(dataDir: string, storagePath: string): Promise<Buffer> {
  const root = path.resolve(dataDir);
  const full = insideDataDir(dataDir, storagePath);
  try {
    return await fs.readFile(full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new AppError("NOT_FOUND", `The stored file ${storagePath} is missing from ${root}.`, {
        cause: error,
      });
    }
    throw error;
  }
}

function insideDataDir(dataDir: string, storagePath: string): string {
  const root = path.resolve(dataDir);
  const full = path.resolve(root, storagePath);
  const relative = path.relative(root, full);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new AppError("BAD_INPUT", `Stored path "${storagePath}" is not inside the data folder.`);
  }
  return full;
}

/** Writes through a temp file in the same folder and renames it, so readers never see half a file. */
async function writeFileAtomic(target: string, bytes: Uint8Array): Promise<void> {
  if (await exists(target)) return; // content-addressed: an existing file already has these bytes
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${randomUUID()}.tmp`;
  try {
    await fs.writeFile(temp, bytes, { flag: "wx" });
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

async function isStoredIntact(dataDir: string, storagePath: string, thumbnailPath: string | null) {
  const checks = [exists(path.join(dataDir, storagePath))];
  if (thumbnailPath !== null) checks.push(exists(path.join(dataDir, thumbnailPath)));
  return (await Promise.all(checks)).every(Boolean);
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

/** The fields of an `Image` row a caller sees (the row may carry more). */
function toStoredImage(row: Omit<StoredImage, "isNew">): Omit<StoredImage, "isNew"> {
  return {
    id: row.id,
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    format: row.format,
    problem: row.problem,
    bytes: row.bytes,
    storagePath: row.storagePath,
    thumbnailPath: row.thumbnailPath,
  };
}
