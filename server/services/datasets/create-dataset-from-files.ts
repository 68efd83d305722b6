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

export interface UploadedFile {
  /** The name the browser sent (a zip's entries keep their paths inside it). */
  name: string;
  bytes: Uint8Array;
}

/**
 * Creates a dataset from uploaded files; `.zip` files are expanded in place (folders, `__MACOSX/` and dotfiles
 * skipped). The manifest is the one given, else a `manifest.jsonl`/`manifest.csv` among the files (at the top of
 * the upload or of a zip). Unreadable images are kept with their problem; the same bytes twice are one item.
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
}): Promise<ImportReport> {
  const { db, dataDir } = options;
  const name = await checkDatasetName({ db, name: options.name });
  const limits = options.limits ?? defaultImportLimits();

  // Expand zips to listings first: counts and sizes are checked before a single byte is decompressed.
  const skipped: string[] = [];
  const parts: (
    | { kind: "file"; fileName: string; bytes: Uint8Array }
    | { kind: "zip"; file: UploadedFile; listing: ZipListing }
  )[] = [];
  for (const file of options.files) {
    const fileName = cleanRelativeName(file.name) ?? "unnamed";
    if (isJunkName(fileName)) {
      skipped.push(fileName);
    } else if (isZipName(fileName)) {
      const listing = listZipEntries(fileName, file.bytes);
      skipped.push(...listing.skipped);
      parts.push({ kind: "zip", file: { name: fileName, bytes: file.bytes }, listing });
    } else {
      parts.push({ kind: "file", fileName, bytes: file.bytes });
    }
  }

  // A manifest file at the top level is the manifest, never an image.
  const candidates = parts.flatMap((part) =>
    part.kind === "file"
      ? [{ fileName: part.fileName, read: () => part.bytes }]
      : part.listing.entries.map((entry) => ({
          fileName: entry.fileName,
          read: () =>
            readZipEntries(part.file.name, part.file.bytes, [entry]).next().value?.bytes ?? new Uint8Array(),
        })),
  );
  const { manifestFile, isManifestName } = splitRootManifest(
    candidates.map((candidate) => candidate.fileName),
  );
  // Sizes (a manifest's included) are checked before anything, the manifest too, is decompressed.
  let count = 0;
  let bytes = 0;
  for (const part of parts) {
    if (part.kind === "file") {
      bytes += part.bytes.byteLength;
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
    const found = candidates.find((candidate) => candidate.fileName === manifestFile);
    const text = readManifestText(found?.read() ?? new Uint8Array(), manifestFile);
    manifest = parseManifest(text, manifestKindFor(manifestFile, text));
  }

  function* files(): Generator<IncomingFile> {
    for (const part of parts) {
      if (part.kind === "file") {
        if (!isManifestName(part.fileName)) yield { fileName: part.fileName, bytes: part.bytes };
        continue;
      }
      const wanted = part.listing.entries.filter((entry) => !isManifestName(entry.fileName));
      for (const { entry, bytes: entryBytes } of readZipEntries(part.file.name, part.file.bytes, wanted)) {
        yield { fileName: entry.fileName, bytes: entryBytes };
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
