import type { Tensor } from "~/lib/tensor";
import type { FeatureStore } from "~/server/features/feature-store";
import { featureFilesOf, readPatchGrids as readFileGrids } from "~/server/features/run-feature-files";
import { assertKeptSource, keptSourcesOf } from "~/server/services/runs/kept-sources";
import type { Db } from "~/server/store/db";

export interface PatchGrid {
  imageId: string;
  grid: [number, number];
  /** [rows · cols, dim], row-major over the grid, without the pooled token. */
  tokens: Tensor<Float32Array>;
}

/** The patch tokens of one kept source for some images of a run, per image, read from their feature files. */
export async function readPatchGrids(options: {
  db: Db;
  features: FeatureStore;
  runId: string;
  source: string;
  imageIds: readonly string[];
}): Promise<PatchGrid[]> {
  const { sources } = await keptSourcesOf(options.db, options.runId);
  assertKeptSource(sources, options.source);
  const files = await featureFilesOf(options);
  return readFileGrids({ features: options.features, files, source: options.source });
}
