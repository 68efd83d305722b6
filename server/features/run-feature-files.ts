import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";
import type { PatchGrid } from "./feature-file";
import type { FeatureStore } from "./feature-store";

/** A stored image of a run and its feature file. */
export interface ImageFeatureFile {
  imageId: string;
  featureFile: string;
  featureSha256: string;
}

/** The feature files of chosen images of a run, in the requested order; BAD_INPUT for an image without one. */
export async function featureFilesOf(options: {
  db: Db;
  runId: string;
  imageIds: readonly string[];
}): Promise<ImageFeatureFile[]> {
  if (new Set(options.imageIds).size !== options.imageIds.length)
    throw new AppError("BAD_INPUT", "Each image may be chosen once.");
  const rows = await options.db.runImage.findMany({
    where: { runId: options.runId, imageId: { in: [...options.imageIds] } },
    select: { imageId: true, status: true, featureFile: true, featureSha256: true },
  });
  const byId = new Map(rows.map((row) => [row.imageId, row]));
  return options.imageIds.map((imageId) => {
    const row = byId.get(imageId);
    if (row === undefined || row.status !== "done" || row.featureFile === null || row.featureSha256 === null)
      throw new AppError("BAD_INPUT", `Image ${imageId} has no stored features in this run.`);
    return { imageId, featureFile: row.featureFile, featureSha256: row.featureSha256 };
  });
}

/** One source's patch grid of each file, in order; every grid must have the same width. */
export async function readPatchGrids(options: {
  features: FeatureStore;
  files: readonly ImageFeatureFile[];
  source: string;
}): Promise<(PatchGrid & { imageId: string })[]> {
  const grids: (PatchGrid & { imageId: string })[] = [];
  for (const file of options.files) {
    const grid = await options.features.readPatchGrid(
      file.featureFile,
      options.source,
      `image ${file.imageId}`,
    );
    const width = grid.tokens.dims[1] ?? 0;
    const first = grids[0]?.tokens.dims[1];
    if (first !== undefined && width !== first)
      throw new Error(`Token grids of ${options.source} differ in width (${first} vs ${width}).`);
    grids.push({ imageId: file.imageId, ...grid });
  }
  return grids;
}
