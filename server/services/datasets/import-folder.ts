import fs from "node:fs/promises";
import path from "node:path";
import type { Db } from "~/server/store/db";
import {
  buildDataset,
  checkDatasetName,
  checkImportSize,
  defaultImportLimits,
  type IncomingFile,
} from "./build-dataset";
import type { ImportLimits, ImportReport } from "./dataset-types";
import { type ManifestRow, parseManifest } from "./parse-manifest";
import { listFolderFiles, resolveImportFile, resolveImportFolder } from "./resolve-import-folder";
import { manifestKindFor, readManifestText, splitRootManifest } from "./root-manifest";

/**
 * Creates a dataset from a folder on the server, recursively, reading only regular files. The folder must resolve
 * (symlinks included) inside one of `roots`; anything else is refused with AppError BAD_INPUT naming the path,
 * before a file is stored. The manifest is `manifestPath` (relative to the folder, or absolute inside a root),
 * else a `manifest.jsonl`/`manifest.csv` at the top of the folder.
 */
export async function importFolder(options: {
  db: Db;
  dataDir: string;
  roots: readonly string[];
  folder: string;
  name: string;
  manifestPath?: string | null;
  limits?: ImportLimits;
  maxInputPixels?: number;
  /** "demo" for the bundled demo set; user imports are "folder". */
  source?: "folder" | "demo";
}): Promise<ImportReport> {
  const { db, dataDir, roots } = options;
  const name = await checkDatasetName({ db, name: options.name });
  const limits = options.limits ?? defaultImportLimits();
  const { folder } = await resolveImportFolder({ roots, folder: options.folder });
  const listing = await listFolderFiles({ roots, folder, maxFiles: limits.maxFiles });

  const { manifestFile, isManifestName } = splitRootManifest(listing.files.map((file) => file.fileName));
  let manifest: ManifestRow[] | null = null;
  const manifestReal = options.manifestPath
    ? await resolveImportFile({ roots, base: folder, file: options.manifestPath })
    : manifestFile !== null
      ? path.join(folder, manifestFile)
      : null;
  if (manifestReal !== null) {
    const label = options.manifestPath ?? manifestFile ?? manifestReal;
    const text = readManifestText(await fs.readFile(manifestReal), label);
    manifest = parseManifest(text, manifestKindFor(manifestReal, text));
  }

  const images = listing.files.filter(
    (file) => !isManifestName(file.fileName) && file.realPath !== manifestReal,
  );
  checkImportSize(
    `The folder "${options.folder}"`,
    images.length,
    images.reduce((sum, file) => sum + file.size, 0),
    limits,
  );

  // One file in memory at a time.
  async function* files(): AsyncGenerator<IncomingFile> {
    for (const file of images) {
      yield { fileName: file.fileName, bytes: await readRegularFile(file.realPath) };
    }
  }

  return buildDataset({
    db,
    dataDir,
    name,
    source: options.source ?? "folder",
    rootPath: folder,
    files: files(),
    manifest,
    skipped: listing.skipped,
    maxInputPixels: options.maxInputPixels,
  });
}

/** Opens without following a symlink swapped in since the folder was listed, and reads only a regular file. */
async function readRegularFile(realPath: string): Promise<Uint8Array> {
  const handle = await fs.open(realPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${realPath} is no longer a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
