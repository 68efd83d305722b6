import { type FloatArray, matrixDims, type Tensor } from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import { createPrng, shuffledIndices } from "./prng";

export interface ProjectionQuality {
  /** scikit-learn's trustworthiness: 1 − penalty for 2-D neighbours that are far in the original space. */
  trustworthiness: number;
  /** Mean fraction of each point's k nearest original-space neighbours that are also its k nearest in 2-D. */
  knnRecall: number;
  k: number;
  /** Points whose neighbourhoods were scored: all of them, or a seeded sample (see `sampleSize`). */
  queries: number;
}

export interface ProjectionQualityOptions {
  k?: number;
  /**
   * Score only this many seeded random points (each against all n points, so the estimate stays unbiased):
   * the exact score costs O(n²·dim), too much past a few thousand points.
   */
  sampleSize?: number;
  seed?: number;
  onProgress?: (fraction: number) => void;
}

/**
 * Trustworthiness (Venna & Kaski; scikit-learn's `sklearn.manifold.trustworthiness`, Euclidean) and k-NN
 * recall between a high-dimensional matrix and its layout, from the same pass: for each query i, r(i, j) is
 * j's rank among i's original-space neighbours; the 2-D neighbours j add max(0, r − k) to the penalty, and
 * those with r ≤ k are the recalled ones. Ties between equal distances are not broken (measure zero for
 * real features). With every point as a query the result equals scikit-learn's.
 */
export function projectionQuality(
  high: Tensor<FloatArray>, // [n, dim]
  low: Tensor<FloatArray>, // [n, lowDim]
  { k = 10, sampleSize, seed = 0, onProgress }: ProjectionQualityOptions = {},
): ProjectionQuality {
  const [n, dim] = matrixDims(high, "high");
  const [lowRows, lowDim] = matrixDims(low, "low");
  if (lowRows !== n) throw new AnalysisInputError(`${n} original points but ${lowRows} projected`);
  if (!Number.isInteger(k) || k < 1 || k >= n / 2) {
    throw new AnalysisInputError(`k must be an integer in [1, ${n}/2), got ${k}`);
  }
  const queries =
    sampleSize === undefined || sampleSize >= n
      ? Uint32Array.from({ length: n }, (_, i) => i)
      : shuffledIndices(n, createPrng(seed)).slice(0, sampleSize).sort();
  const highDistances = new Float64Array(n); // [n] squared distances from the query
  const lowNeighbors = new Int32Array(k);
  const lowNeighborDistances = new Float64Array(k);
  const thresholds = new Float64Array(k);
  const below = new Int32Array(k);
  let penalty = 0;
  let recalled = 0;
  queries.forEach((i, q) => {
    squaredDistancesFrom(high.data, i, n, dim, highDistances);
    nearestInLow(low.data, i, n, lowDim, k, lowNeighbors, lowNeighborDistances);
    // r(i, j) − 1 is the number of other points strictly closer to i than j: one counting pass for the k
    // layout neighbours (n·k comparisons) instead of sorting all n distances.
    lowNeighbors.forEach((j, c) => {
      thresholds[c] = highDistances[j] as number;
    });
    below.fill(0);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = highDistances[j] as number;
      for (let c = 0; c < k; c++) if (d < (thresholds[c] as number)) below[c] = (below[c] as number) + 1;
    }
    for (const count of below) {
      const rank = 1 + count;
      if (rank <= k) recalled++;
      else penalty += rank - k;
    }
    if (q % 256 === 0) onProgress?.(q / queries.length);
  });
  onProgress?.(1);
  const m = queries.length;
  return {
    trustworthiness: 1 - (2 / (m * k * (2 * n - 3 * k - 1))) * penalty,
    knnRecall: recalled / (m * k),
    k,
    queries: m,
  };
}

function squaredDistancesFrom(data: FloatArray, i: number, n: number, dim: number, out: Float64Array): void {
  const offset = i * dim;
  for (let j = 0; j < n; j++) {
    const other = j * dim;
    let sum = 0;
    for (let c = 0; c < dim; c++) {
      const d = (data[offset + c] as number) - (data[other + c] as number);
      sum += d * d;
    }
    out[j] = sum;
  }
}

/** The k nearest other points of i in the layout, by insertion into a small sorted buffer. */
function nearestInLow(
  data: FloatArray,
  i: number,
  n: number,
  dim: number,
  k: number,
  neighbors: Int32Array,
  distances: Float64Array,
): void {
  distances.fill(Number.POSITIVE_INFINITY);
  const offset = i * dim;
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    let sum = 0;
    for (let c = 0; c < dim; c++) {
      const d = (data[offset + c] as number) - (data[j * dim + c] as number);
      sum += d * d;
    }
    if (sum >= (distances[k - 1] as number)) continue;
    let slot = k - 1;
    while (slot > 0 && (distances[slot - 1] as number) > sum) {
      distances[slot] = distances[slot - 1] as number;
      neighbors[slot] = neighbors[slot - 1] as number;
      slot--;
    }
    distances[slot] = sum;
    neighbors[slot] = j;
  }
}
