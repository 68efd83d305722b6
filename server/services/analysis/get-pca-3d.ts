import { fitPca, transformPca } from "~/lib/analysis";
import { base64OfTypedArray } from "~/lib/codec/base64";
import { AppError } from "~/server/app-error";
import { loadPooledVectors } from "~/server/features/pooled-vectors";
import { putBounded } from "~/server/services/bounded-cache";
import type { Db } from "~/server/store/db";

export interface Pca3dView {
  source: string;
  /** Row order of `coords`: dataset order of the images with this source. */
  imageIds: string[];
  /** base64 little-endian Float32Array [imageIds.length, 3]: the first three principal components. */
  coords: string;
  /** Share of the variance each of the three components explains. */
  explainedVarianceRatio: number[];
}

// Layouts kept per run, source and vector count (12 bytes a point): the 3D view asks again on every visit.
const MAX_CACHED = 8;
const cache = new Map<string, Pca3dView>();

/**
 * The 3D view's layout of one source: PCA with three components of its pooled vectors, computed once (Lanczos on
 * the covariance, milliseconds for a few thousand images) and cached until the run gains vectors.
 */
export async function getPca3d(options: { db: Db; runId: string; source: string }): Promise<Pca3dView> {
  const { db, runId, source } = options;
  const count = await db.pooledFeature.count({ where: { runId, source } });
  if (count < 3)
    throw new AppError(
      "NOT_FOUND",
      `A 3D layout of ${source} needs at least 3 encoded images; it has ${count}.`,
    );
  const key = `${runId}\u0000${source}\u0000${count}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const pooled = await loadPooledVectors({ db, runId, source });
  const features = { data: pooled.data, dims: [pooled.imageIds.length, pooled.dim] };
  const model = fitPca(features, { components: Math.min(3, pooled.dim), seed: 0 });
  const projected = transformPca(model, features);
  const components = model.components.dims[0] ?? 0;
  // [n, 3], a missing component (fewer than three dims) left at 0.
  const coords = new Float32Array(pooled.imageIds.length * 3);
  for (let i = 0; i < pooled.imageIds.length; i++)
    for (let c = 0; c < components; c++) coords[3 * i + c] = projected.data[i * components + c] ?? 0;
  const view = {
    source,
    imageIds: pooled.imageIds,
    coords: base64OfTypedArray(coords),
    explainedVarianceRatio: Array.from(model.explainedVarianceRatio),
  };
  putBounded(cache, key, view, MAX_CACHED);
  return view;
}
