import type { Tensor } from "~/lib/tensor";
import {
  assertKeptSource,
  keptSourcesOf,
  loadPatchInput,
  selectPatchInput,
} from "~/server/services/analysis/projection-inputs";
import type { Db } from "~/server/store/db";
import type { FeatureStore } from "~/server/store/feature-store";

export interface PatchGrid {
  imageId: string;
  grid: [number, number];
  /** [rows · cols, dim], row-major over the grid, without the pooled token. */
  tokens: Tensor<Float32Array>;
}

/**
 * The patch tokens of one source for some images of a run, per image, read from their feature files (the
 * projection explorer's reader: same validation, same pooled-token handling).
 */
export async function readPatchGrids(options: {
  db: Db;
  features: FeatureStore;
  runId: string;
  source: string;
  imageIds: readonly string[];
}): Promise<PatchGrid[]> {
  const { sources } = await keptSourcesOf(options.db, options.runId);
  assertKeptSource(sources, options.source);
  const selection = await selectPatchInput(options);
  const input = await loadPatchInput({ features: options.features, selection });
  const dim = input.features.dims[1] ?? 0;
  let offset = 0;
  return input.points.images.map((image) => {
    const data = input.features.data.subarray(offset * dim, (offset + image.count) * dim);
    offset += image.count;
    return { imageId: image.imageId, grid: image.grid, tokens: { data, dims: [image.count, dim] } };
  });
}
