/**
 * The part every import shares (upload, zip, folder, demo): store each file by content, match the manifest, and
 * create the dataset with its items in one transaction. Files are stored before the dataset row exists, so a
 * failure midway leaves only content-addressed files that the next import reuses.
 */
import { AppError } from "~/server/app-error";
import { DEFAULT_GUARDS } from "~/server/env";
import { type StoredImage, storeFile } from "~/server/store/content-store";
import type { Db } from "~/server/store/db";
import type { DatasetDto, ImportLimits, ImportReport } from "./dataset-types";
import { baseName } from "./file-names";
import type { ManifestRow } from "./parse-manifest";

export const MAX_DATASET_NAME_LENGTH = 200;

/** A file on its way in: its clean relative name and its bytes. */
export interface IncomingFile {
  fileName: string;
  bytes: Uint8Array;
}

/** MAX_IMPORT_FILES and MAX_IMPORT_BYTES at their defaults, for callers that pass no limits. */
export function defaultImportLimits(): ImportLimits {
  return { ...DEFAULT_GUARDS.imports };
}

/** Trims the name and refuses an empty, overlong or taken one, before any file is read. */
export async function checkDatasetName(options: { db: Db; name: string }): Promise<string> {
  const name = options.name.trim();
  if (name === "") throw new AppError("BAD_INPUT", "Give the dataset a name.");
  if (name.length > MAX_DATASET_NAME_LENGTH) {
    throw new AppError("BAD_INPUT", `Dataset names are at most ${MAX_DATASET_NAME_LENGTH} characters.`);
  }
  const taken = await options.db.dataset.findUnique({ where: { name }, select: { id: true } });
  if (taken) throw nameTaken(name);
  return name;
}

/** Refuses an import over the file-count or expanded-size limit, before anything is stored. */
export function checkImportSize(what: string, files: number, bytes: number, limits: ImportLimits): void {
  if (files === 0) {
    throw new AppError(
      "BAD_INPUT",
      `${what} holds no files to import (folders, dotfiles and __MACOSX are skipped).`,
    );
  }
  if (files > limits.maxFiles) {
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      `${what} holds ${files.toLocaleString("en")} files; the limit is ${limits.maxFiles.toLocaleString("en")} (MAX_IMPORT_FILES). Split it into several datasets.`,
    );
  }
  if (bytes > limits.maxBytes) {
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      `${what} expands to ${formatMegabytes(bytes)} MB; the limit is ${formatMegabytes(limits.maxBytes)} MB (MAX_IMPORT_BYTES). Split it into several datasets.`,
    );
  }
}

/** Megabytes (2^20 bytes) for messages: whole numbers from 10 MB up, two significant digits below. */
export function formatMegabytes(bytes: number): string {
  const megabytes = bytes / (1024 * 1024);
  return megabytes >= 10 ? String(Math.round(megabytes)) : String(Number(megabytes.toPrecision(2)));
}

export async function buildDataset(options: {
  db: Db;
  dataDir: string;
  name: string;
  source: "upload" | "folder" | "demo";
  rootPath?: string | null;
  files: AsyncIterable<IncomingFile> | Iterable<IncomingFile>;
  manifest: ManifestRow[] | null;
  skipped?: string[];
  maxInputPixels?: number;
}): Promise<ImportReport> {
  const { db, dataDir } = options;
  const stored: { fileName: string; image: StoredImage }[] = [];
  for await (const file of options.files) {
    const image = await storeFile({
      db,
      dataDir,
      bytes: file.bytes,
      fileName: file.fileName,
      maxInputPixels: options.maxInputPixels,
    });
    stored.push({ fileName: file.fileName, image });
  }

  const { ordered, missingFiles } = orderByManifest(stored, options.manifest ?? []);
  const items: {
    imageId: string;
    fileName: string;
    caption: string | null;
    labels: ManifestRow["labels"];
    split: string | null;
    position: number;
  }[] = [];
  const firstName = new Map<string, string>();
  const duplicates: ImportReport["duplicates"] = [];
  const problems: ImportReport["problems"] = [];
  for (const { fileName, image, row } of ordered) {
    const sameAs = firstName.get(image.id);
    if (sameAs !== undefined) {
      duplicates.push({ fileName, sameAs });
      continue;
    }
    firstName.set(image.id, fileName);
    if (image.problem !== null) problems.push({ fileName, problem: image.problem });
    items.push({
      imageId: image.id,
      fileName,
      caption: row?.caption ?? null,
      labels: row?.labels ?? null,
      split: row?.split ?? null,
      position: items.length,
    });
  }

  let dataset: DatasetDto;
  try {
    const row = await db.dataset.create({
      data: {
        name: options.name,
        source: options.source,
        rootPath: options.rootPath ?? null,
        items: {
          createMany: { data: items.map((item) => ({ ...item, labels: item.labels ?? undefined })) },
        },
      },
    });
    dataset = {
      id: row.id,
      name: row.name,
      source: row.source,
      rootPath: row.rootPath,
      itemCount: items.length,
      createdAt: row.createdAt,
    };
  } catch (error) {
    // Another import took the name while this one was storing files.
    if ((error as { code?: unknown }).code === "P2002") throw nameTaken(options.name);
    throw error;
  }
  return {
    dataset,
    newImages: stored.filter((entry) => entry.image.isNew).length,
    duplicates,
    problems,
    missingFiles,
    skipped: options.skipped ?? [],
  };
}

/**
 * Manifest rows first, in manifest order, then the files it does not mention in the order they came. A row
 * matches a file by its relative path, or by its bare name when exactly one file has that name.
 */
function orderByManifest(
  stored: { fileName: string; image: StoredImage }[],
  manifest: ManifestRow[],
): {
  ordered: { fileName: string; image: StoredImage; row: ManifestRow | null }[];
  missingFiles: ImportReport["missingFiles"];
} {
  const byName = new Map<string, number>();
  const byBase = new Map<string, number[]>();
  stored.forEach((entry, index) => {
    if (!byName.has(entry.fileName)) byName.set(entry.fileName, index);
    const base = baseName(entry.fileName);
    byBase.set(base, [...(byBase.get(base) ?? []), index]);
  });
  const used = new Set<number>();
  const ordered: { fileName: string; image: StoredImage; row: ManifestRow | null }[] = [];
  const missingFiles: ImportReport["missingFiles"] = [];
  for (const row of manifest) {
    const sameBase = byBase.get(baseName(row.file)) ?? [];
    const index = byName.get(row.file) ?? (sameBase.length === 1 ? sameBase[0] : undefined);
    const entry = index === undefined || used.has(index) ? undefined : stored[index];
    if (index === undefined || entry === undefined) {
      missingFiles.push({ line: row.line, file: row.file });
      continue;
    }
    used.add(index);
    ordered.push({ ...entry, row });
  }
  stored.forEach((entry, index) => {
    if (!used.has(index)) ordered.push({ ...entry, row: null });
  });
  return { ordered, missingFiles };
}

function nameTaken(name: string): AppError {
  return new AppError("CONFLICT", `A dataset named "${name}" already exists; choose another name.`);
}
