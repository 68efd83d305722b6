import { z } from "zod";
import { canonicalJson, hashFeatures, projectionKey } from "~/lib/analysis/projection-key";
import { fp16ToFp32, type Tensor } from "~/lib/tensor";
import { AppError } from "~/server/app-error";
import { loadPooledVectors } from "~/server/services/features/load-pooled-vectors";
import { runSettingsSchema } from "~/server/services/runs/run-settings";
import type { Db } from "~/server/store/db";
import type { FeatureStore } from "~/server/store/feature-store";
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

/** The run's kept sources; NOT_FOUND for an unknown run. */
export async function keptSourcesOf(
  db: Db,
  runId: string,
): Promise<{ sources: string[]; prompts: string[] }> {
  const run = await db.run.findUnique({
    where: { id: runId },
    select: { prompts: true, sources: true, questions: true, dtype: true },
  });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${runId}.`);
  const settings = runSettingsSchema.parse(run);
  return { sources: settings.sources, prompts: settings.prompts };
}

export function assertKeptSource(kept: readonly string[], source: string): void {
  if (!kept.includes(source)) {
    throw new AppError("BAD_INPUT", `This run keeps no source "${source}"; it keeps ${kept.join(", ")}.`);
  }
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
  files: { imageId: string; featureFile: string; featureSha256: string }[];
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
  if (new Set(options.imageIds).size !== options.imageIds.length)
    throw new AppError("BAD_INPUT", "Each image may be chosen once.");
  const rows = await options.db.runImage.findMany({
    where: { runId: options.runId, imageId: { in: [...options.imageIds] } },
    select: { imageId: true, status: true, featureFile: true, featureSha256: true },
  });
  const byId = new Map(rows.map((row) => [row.imageId, row]));
  const files = options.imageIds.map((imageId) => {
    const row = byId.get(imageId);
    if (row === undefined || row.status !== "done" || row.featureFile === null || row.featureSha256 === null)
      throw new AppError("BAD_INPUT", `Image ${imageId} has no stored features in this run.`);
    return { imageId, featureFile: row.featureFile, featureSha256: row.featureSha256 };
  });
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

const geometrySchema = z.record(
  z.string(),
  z.object({ grid: z.tuple([z.number().int(), z.number().int()]), hasPooledToken: z.boolean() }),
);

/** Reads the chosen images' token grids of one source, dropping each grid's pooled token. */
export async function loadPatchInput(options: {
  features: FeatureStore;
  selection: PatchSelection;
}): Promise<PatchInput> {
  const { selection } = options;
  const grids: { imageId: string; grid: [number, number]; tokens: Float32Array }[] = [];
  let dim = 0;
  for (const file of selection.files) {
    const { tensors, metadata } = await options.features.read(file.featureFile);
    const tensor = tensors[selection.source];
    if (tensor === undefined || tensor.shape.length !== 2)
      throw new Error(`Feature file of image ${file.imageId} has no token grid for ${selection.source}.`);
    const [tokens = 0, width = 0] = tensor.shape;
    if (dim !== 0 && width !== dim)
      throw new Error(`Token grids of ${selection.source} differ in width (${dim} vs ${width}).`);
    dim = width;
    if (tensor.dtype !== "F16" && tensor.dtype !== "F32")
      throw new Error(
        `Token grid ${selection.source} of image ${file.imageId} is ${tensor.dtype}, not F16/F32.`,
      );
    const values = tensor.dtype === "F16" ? fp16ToFp32(tensor.data) : tensor.data;
    const geometry = geometrySchema.catch({}).parse(JSON.parse(metadata.geometry ?? "{}"))[selection.source];
    const { grid, first } = patchLayout(tokens, geometry);
    grids.push({ imageId: file.imageId, grid, tokens: values.subarray(first * dim, tokens * dim) });
  }
  const total = grids.reduce((sum, g) => sum + g.tokens.length / Math.max(1, dim), 0);
  const data = new Float32Array(total * dim);
  let offset = 0;
  for (const g of grids) {
    data.set(g.tokens, offset);
    offset += g.tokens.length;
  }
  return {
    source: selection.source,
    features: { data, dims: [total, dim] },
    points: {
      images: grids.map((g) => ({ imageId: g.imageId, grid: g.grid, count: g.tokens.length / dim })),
    },
    inputHash: selection.inputHash,
  };
}

/** Where the patch tokens start and their grid: from the file's geometry, else inferred (square grid ± pooled). */
function patchLayout(
  tokens: number,
  geometry: { grid: [number, number]; hasPooledToken: boolean } | undefined,
): { grid: [number, number]; first: number } {
  if (geometry !== undefined) {
    const first = geometry.hasPooledToken ? 1 : 0;
    const [rows, cols] = geometry.grid;
    return { grid: rows * cols === tokens - first ? geometry.grid : [1, tokens - first], first };
  }
  const side = Math.round(Math.sqrt(tokens - 1));
  if (side * side === tokens - 1) return { grid: [side, side], first: 1 };
  const plain = Math.round(Math.sqrt(tokens));
  return plain * plain === tokens ? { grid: [plain, plain], first: 0 } : { grid: [1, tokens], first: 0 };
}

function utf8Tensor(text: string): Tensor<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return { data: bytes, dims: [bytes.length] };
}
