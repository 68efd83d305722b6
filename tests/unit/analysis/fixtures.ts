import { createPrng } from "~/lib/analysis";
import type { Tensor } from "~/lib/tensor";

/** Seeded Gaussian clusters: `perCluster` points around each of `clusters` centres in `dim` dimensions. */
export function gaussianClusters(
  clusters: number,
  perCluster: number,
  dim: number,
  { seed = 1, spread = 4 }: { seed?: number; spread?: number } = {},
): { points: Tensor<Float32Array>; labels: Uint16Array } {
  const prng = createPrng(seed);
  const centres = new Float64Array(clusters * dim).map(() => prng.nextGaussian() * spread);
  const n = clusters * perCluster;
  const points = new Float32Array(n * dim); // [n, dim]
  const labels = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels[i] = c;
    for (let j = 0; j < dim; j++)
      points[i * dim + j] = (centres[c * dim + j] as number) + prng.nextGaussian();
  }
  return { points: { data: points, dims: [n, dim] }, labels };
}
