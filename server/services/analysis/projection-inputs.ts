import { z } from "zod";
import { canonicalJson, hashFeatures, projectionKey } from "~/lib/analysis/projection-key";
import { concatRows, type Tensor } from "~/lib/tensor";
import type { FeatureStore } from "~/server/features/feature-store";
import { loadPooledVectors } from "~/server/features/pooled-vectors";
import { featureFilesOf, type ImageFeatureFile, readPatchGrids } from "~/server/features/run-feature-files";
import type { Db } from "~/server/store/db";
import { layoutParams, type ProjectionMethodName, type ProjectionParams } from "./projection-params";

/** What the rows of a projection are, stored with it so a pinned projection is readable on its own. */
export const pooledPointsSchema = z.object({ imageIds: z.array(z.string()) });
export const patchPointsSchema = z.object({
  images: z.array(
    z.object({
      imageId: z.string(),
      grid: z.tuple([z.number().int(), z.number().int()]),
      /** Patch tokens of this image (grid rows × cols), in grid (row-major) order. */
      count: z.number().int(),
    }),
  ),
});
export type PooledPoints = z.infer<typeof pooledPointsSchema>;
export type PatchPoints = z.infer<typeof patchPointsSchema>;

/** The cache identity of one panel: the row `Projection` is unique on. */
export interface ProjectionCacheKey {
  inputHash: string;
  method: ProjectionMethodName;
  paramsKey: string;
  /** The canonical parameters stored with the row. */
  params: Record<string, unknown>;
}

export function cacheKeyOf(
  inputHash: string,
  method: ProjectionMethodName,
  params: ProjectionParams,
): ProjectionCacheKey {
  const canonical = layoutParams(method, params);
  return { inputHash, method, params: canonical, paramsKey: projectionKey(inputHash, method, canonical) };
}

export async function findCachedProjection(db: Db, key: ProjectionCacheKey) {
  return db.projection.findUnique({
    where: {
      inputHash_method_paramsKey: { inputHash: key.inputHash, method: key.method, paramsKey: key.paramsKey },
    },
  });
}

export interface PooledInput {
  source: string;
  features: Tensor<Float32Array>; // [images, dim]
  points: PooledPoints;
  inputHash: string;
}

/**
 * One source's pooled vectors (dataset order) and their content hash. The hash covers the features and which
 * image each row is, so a cached layout is only reused for the very same rows.
 */
export async function loadPooledInput(options: {
  db: Db;
  runId: string;
  source: string;
}): Promise<PooledInput> {
  const matrix = await loadPooledVectors(options);
  const features = { data: matrix.data, dims: [matrix.imageIds.length, matrix.dim] };
  const identity = { mode: "pooled", source: options.source, imageIds: matrix.imageIds };
  return {
    source: options.source,
    features,
    points: { imageIds: matrix.imageIds },
    inputHash: hashFeatures(features, utf8Tensor(canonicalJson(identity))),
  };
}

export interface PatchSelection {
  source: string;
  /** The chosen images with their feature files, in the requested order. */
  files: ImageFeatureFile[];
  inputHash: string;
}

/**
 * Validates a patch selection against the run's stored files and hashes it. The hash is taken over the feature
 * files' sha256 (already recorded per image) instead of the tokens themselves, so a request finds its cached
 * layout without reading tens of megabytes of token grids on the request thread.
 */
export async function selectPatchInput(options: {
  db: Db;
  runId: string;
  source: string;
  imageIds: readonly string[];
}): Promise<PatchSelection> {
  const files = await featureFilesOf(options);
  const identity = {
    mode: "patch",
    source: options.source,
    files: files.map((f) => [f.imageId, f.featureSha256]),
  };
  return { source: options.source, files, inputHash: hashFeatures(utf8Tensor(canonicalJson(identity))) };
}

export interface PatchInput {
  source: string;
  features: Tensor<Float32Array>; // [points, dim]: every patch token of every chosen image
  points: PatchPoints;
  inputHash: string;
}

/** Reads the chosen images' token grids of one source, without each grid's pooled token, as one matrix. */
export async function loadPatchInput(options: {
  features: FeatureStore;
  selection: PatchSelection;
}): Promise<PatchInput> {
  const { selection } = options;
  const grids = await readPatchGrids({
    features: options.features,
    files: selection.files,
    source: selection.source,
  });
  const features = concatRows(
    grids.map((g) => g.tokens),
    `token grids of ${selection.source}`,
  );
  return {
    source: selection.source,
    features,
    points: {
      images: grids.map((g) => ({ imageId: g.imageId, grid: g.grid, count: g.tokens.dims[0] ?? 0 })),
    },
    inputHash: selection.inputHash,
  };
}

function utf8Tensor(text: string): Tensor<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return { data: bytes, dims: [bytes.length] };
}
