import type { Db } from "~/server/store/db";
import {
  buildDataset,
  checkDatasetName,
  checkImportSize,
  defaultImportLimits,
  type IncomingFile,
} from "./build-dataset";
import type { ImportLimits, ImportReport } from "./dataset-types";
import { isZipName, listZipEntries, readZipEntries, type ZipListing } from "./expand-zip";
import { cleanRelativeName, isJunkName } from "./file-names";
import { type ManifestRow, parseManifest } from "./parse-manifest";
import { manifestKindFor, readManifestText, splitRootManifest } from "./root-manifest";

/**
 * A file the browser sent: its bytes, or (for uploads staged to disk as they streamed in) its size and a reader,
 * so only the file being stored is in memory. A zip's entries keep their paths inside it.
 */
export type UploadedFile =
  | { name: string; bytes: Uint8Array }
  | { name: string; size: number; read: () => Promise<Uint8Array> };

/** An uploaded file on its way in, or a zip with its listing. */
type UploadPart =
  | { kind: "file"; fileName: string; size: number; read: () => Promise<Uint8Array> }
  | { kind: "zip"; fileName: string; read: () => Promise<Uint8Array>; listing: ZipListing };

/**
 * Creates a dataset from uploaded files; `.zip` files are expanded in place (folders, `__MACOSX/` and dotfiles
 * skipped). The manifest is the one given, else a `manifest.jsonl`/`manifest.csv` among the files (at the top of
 * the upload or of a zip). Unreadable images are kept with their problem; the same bytes twice are one item.
 * `onProgress` hears how many of the files have been stored (probed, thumbnailed) out of how many.
 */
export async function createDatasetFromFiles(options: {
  db: Db;
  dataDir: string;
  name: string;
  source?: "upload" | "demo";
  files: UploadedFile[];
  manifest?: { name: string; text: string } | null;
  limits?: ImportLimits;
  maxInputPixels?: number;
  onProgress?: (progress: { stored: number; total: number }) => void;
}): Promise<ImportReport> {
  const { db, dataDir } = options;
  const name = await checkDatasetName({ db, name: options.name });
  const limits = options.limits ?? defaultImportLimits();

  // Zips are listed first (each read, listed and let go): counts and sizes are checked before a single byte is
  // decompressed, and no two archives sit in memory together.
  const skipped: string[] = [];
  const parts: UploadPart[] = [];
  for (const file of options.files) {
    const fileName = cleanRelativeName(file.name) ?? "unnamed";
    const source =
      "bytes" in file
        ? { size: file.bytes.byteLength, read: () => Promise.resolve(file.bytes) }
        : { size: file.size, read: file.read };
    if (isJunkName(fileName)) {
      skipped.push(fileName);
    } else if (isZipName(fileName)) {
      const listing = listZipEntries(fileName, await source.read());
      skipped.push(...listing.skipped);
      parts.push({ kind: "zip", fileName, read: source.read, listing });
    } else {
      parts.push({ kind: "file", fileName, ...source });
    }
  }

  // A manifest file at the top level is the manifest, never an image.
  const names = parts.flatMap((part) =>
    part.kind === "file" ? [part.fileName] : part.listing.entries.map((entry) => entry.fileName),
  );
  const { manifestFile, isManifestName } = splitRootManifest(names);
  // Sizes (a manifest's included) are checked before anything, the manifest too, is decompressed.
  let count = 0;
  let bytes = 0;
  for (const part of parts) {
    if (part.kind === "file") {
      bytes += part.size;
      if (!isManifestName(part.fileName)) count++;
    } else {
      for (const entry of part.listing.entries) {
        bytes += entry.expandedBytes;
        if (!isManifestName(entry.fileName)) count++;
      }
    }
  }
  checkImportSize("The upload", count, bytes, limits);
  let manifest: ManifestRow[] | null = null;
  if (options.manifest) {
    manifest = parseManifest(
      options.manifest.text,
      manifestKindFor(options.manifest.name, options.manifest.text),
    );
  } else if (manifestFile !== null) {
    const text = readManifestText(await readNamed(parts, manifestFile), manifestFile);
    manifest = parseManifest(text, manifestKindFor(manifestFile, text));
  }

  async function* files(): AsyncGenerator<IncomingFile> {
    let stored = 0;
    for (const part of parts) {
      if (part.kind === "file") {
        if (isManifestName(part.fileName)) continue;
        yield { fileName: part.fileName, bytes: await part.read() };
        options.onProgress?.({ stored: ++stored, total: count });
        continue;
      }
      const wanted = part.listing.entries.filter((entry) => !isManifestName(entry.fileName));
      for (const { entry, bytes: entryBytes } of readZipEntries(part.fileName, await part.read(), wanted)) {
        yield { fileName: entry.fileName, bytes: entryBytes };
        options.onProgress?.({ stored: ++stored, total: count });
      }
    }
  }

  return buildDataset({
    db,
    dataDir,
    name,
    source: options.source ?? "upload",
    files: files(),
    manifest,
    skipped,
    maxInputPixels: options.maxInputPixels,
  });
}

/** The bytes of the top-level file (or zip entry) named `fileName`. */
async function readNamed(parts: readonly UploadPart[], fileName: string): Promise<Uint8Array> {
  for (const part of parts) {
    if (part.kind === "file" && part.fileName === fileName) return part.read();
    if (part.kind !== "zip") continue;
    const entry = part.listing.entries.find((candidate) => candidate.fileName === fileName);
    if (entry !== undefined)
      return (
        readZipEntries(part.fileName, await part.read(), [entry]).next().value?.bytes ?? new Uint8Array()
      );
  }
  return new Uint8Array();
}
