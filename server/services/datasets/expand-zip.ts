import { unzipSync } from "fflate";
import { AppError } from "~/server/app-error";
import { cleanRelativeName, isJunkName } from "./file-names";

/** One file inside a zip, from its central directory (nothing decompressed yet). */
export interface ZipEntry {
  /** The name as stored in the archive: the key to read it with. */
  rawName: string;
  /** The clean relative name the dataset records. */
  fileName: string;
  /** Bytes it expands to at most: decompression writes into a buffer of the declared size and never grows it. */
  expandedBytes: number;
}

export interface ZipListing {
  entries: ZipEntry[];
  /** Folders, `__MACOSX/` resource forks and dotfiles, left out. */
  skipped: string[];
}

// Decompress at most this much at once, so a large archive never sits fully expanded in memory.
const BATCH_BYTES = 64 * 1024 * 1024;
const BATCH_ENTRIES = 256;

export function isZipName(fileName: string): boolean {
  return fileName.toLowerCase().endsWith(".zip");
}

/**
 * Lists an archive's files from its central directory. When every file sits in one top folder (what zipping a
 * folder gives), that folder is dropped from the names, so `scenes/manifest.jsonl` matches a manifest's `file`
 * column the same way a folder import does.
 */
export function listZipEntries(archiveName: string, bytes: Uint8Array): ZipListing {
  const entries: ZipEntry[] = [];
  const skipped: string[] = [];
  try {
    unzipSync(bytes, {
      filter: (info) => {
        const fileName = cleanRelativeName(info.name);
        if (info.name.endsWith("/") || fileName === null) return false; // a folder entry
        if (isJunkName(fileName)) {
          skipped.push(fileName);
          return false;
        }
        if (info.compression !== 0 && info.compression !== 8) {
          throw new AppError(
            "BAD_INPUT",
            `${archiveName}: "${info.name}" uses zip compression method ${info.compression}; only stored and deflate entries are read. Re-create the zip with a standard tool.`,
          );
        }
        entries.push({ rawName: info.name, fileName, expandedBytes: Math.max(info.originalSize, info.size) });
        return false;
      },
    });
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw unreadable(archiveName, error);
  }
  return { entries: stripCommonFolder(entries), skipped };
}

/**
 * Yields the listed entries' bytes in archive order, a bounded batch at a time (callers store each file before the
 * next batch is decompressed). Entries are read by their raw names, so `listZipEntries` must come first.
 */
export function* readZipEntries(
  archiveName: string,
  bytes: Uint8Array,
  entries: readonly ZipEntry[],
): Generator<{ entry: ZipEntry; bytes: Uint8Array }> {
  let start = 0;
  while (start < entries.length) {
    let end = start;
    let batchBytes = 0;
    while (
      end < entries.length &&
      end - start < BATCH_ENTRIES &&
      (end === start || batchBytes < BATCH_BYTES)
    ) {
      batchBytes += entries[end]?.expandedBytes ?? 0;
      end++;
    }
    const batch = entries.slice(start, end);
    const wanted = new Set(batch.map((entry) => entry.rawName));
    let files: Record<string, Uint8Array>;
    try {
      files = unzipSync(bytes, { filter: (info) => wanted.has(info.name) });
    } catch (error) {
      throw unreadable(archiveName, error);
    }
    for (const entry of batch) yield { entry, bytes: files[entry.rawName] ?? new Uint8Array(0) };
    start = end;
  }
}

function stripCommonFolder(entries: ZipEntry[]): ZipEntry[] {
  const first = entries[0]?.fileName.split("/")[0];
  if (first === undefined) return entries;
  const prefix = `${first}/`;
  if (!entries.every((entry) => entry.fileName.startsWith(prefix))) return entries;
  return entries.map((entry) => ({ ...entry, fileName: entry.fileName.slice(prefix.length) }));
}

function unreadable(archiveName: string, error: unknown): AppError {
  const reason = error instanceof Error ? error.message : String(error);
  return new AppError(
    "BAD_INPUT",
    `${archiveName} is not a readable zip archive (${reason}); nothing was imported. Re-create it with a standard zip tool.`,
    { cause: error },
  );
}
