import { z } from "zod";

export const projectionMethodSchema = z.enum(["umap", "pca"]);
export type ProjectionMethodName = z.infer<typeof projectionMethodSchema>;

/** A layout's or a probe's seed: a non-negative 31-bit integer, 0 by default. */
export const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1)
  .default(0);

/** What a projection request may set; PCA uses none of them (its layout does not depend on a seed). */
export const projectionParamsSchema = z.object({
  nNeighbors: z.number().int().min(2).max(200).default(15),
  minDist: z.number().min(0).max(1).default(0.1),
  seed: seedSchema,
  /** UMAP layout epochs; umap-js' size-dependent default when omitted. */
  nEpochs: z.number().int().min(10).max(2000).optional(),
});
export type ProjectionParams = z.infer<typeof projectionParamsSchema>;

/** Most images one patch projection may take: 64 images × 576 patches is already ~37k points. */
export const MAX_PATCH_IMAGES = 64;

/**
 * The parameters that decide a layout, and nothing else, so the cache key changes exactly when the picture would:
 * PCA ignores the UMAP knobs and the seed. An omitted epoch count stays omitted (the default depends on the number
 * of points, which the input hash already fixes).
 */
export function layoutParams(
  method: ProjectionMethodName,
  params: ProjectionParams,
): Record<string, unknown> {
  if (method === "pca") return { components: 2 };
  return {
    nNeighbors: params.nNeighbors,
    minDist: params.minDist,
    seed: params.seed,
    ...(params.nEpochs === undefined ? {} : { epochs: params.nEpochs }),
  };
}

/** Fewest points a layout of this method can be made from (UMAP needs more points than neighbours). */
export function minimumPoints(method: ProjectionMethodName, params: ProjectionParams): number {
  return method === "umap" ? params.nNeighbors + 1 : 3;
}
