import hnswlib from "hnswlib-node";
import { type FloatArray, matrixDims, type Tensor } from "~/lib/tensor";
import { AnalysisInputError } from "./errors";

// k-nearest neighbours for UMAP from an HNSW index (hnswlib-node: the Node binding of the reference hnswlib
// C++ library, maintained, ~250k downloads a month, built from source by node-gyp at install, so it works
// offline). Building and querying the index is O(n log n) and far faster than umap-js' own NN-descent.

export interface KnnGraph {
  indices: Int32Array; // [n, k] neighbour ids, nearest first; column 0 is the point itself
  distances: Float64Array; // [n, k] Euclidean distances
  k: number;
}

export interface HnswOptions {
  k: number;
  seed?: number;
  /** HNSW graph degree (default 16). */
  m?: number;
  /** Beam width while building (default 64). */
  efConstruction?: number;
  /** Beam width while querying (default max(2k, 30)). */
  efSearch?: number;
  onProgress?: (fraction: number) => void;
}

// Graph degree and beam widths, measured on 20k clustered 256-D points (bench/umap.ts): M = 16 with
// efConstruction = 64 and a query beam of max(2k, 30) gives UMAP layouts as trustworthy as with exact-ish
// neighbours (efConstruction 100, beam 48: within 0.001) for about three quarters of the time.
const HNSW_M = 16;
const HNSW_EF_CONSTRUCTION = 64;
const HNSW_MIN_EF_SEARCH = 30;

/** Approximate kNN of every row among all rows (Euclidean), itself included as the first neighbour. */
export function hnswNearestNeighbors(x: Tensor<FloatArray>, options: HnswOptions): KnnGraph {
  const { k, seed = 0, onProgress } = options;
  const m = options.m ?? HNSW_M;
  const efConstruction = options.efConstruction ?? HNSW_EF_CONSTRUCTION;
  const efSearch = options.efSearch ?? Math.max(2 * k, HNSW_MIN_EF_SEARCH);
  const [n, dim] = matrixDims(x, "X");
  if (!Number.isInteger(k) || k < 2 || k > n)
    throw new AnalysisInputError(`k must be in [2, ${n}], got ${k}`);
  const index = new hnswlib.HierarchicalNSW("l2", dim);
  index.initIndex({ maxElements: n, m, efConstruction, randomSeed: seed });
  // hnswlib-node takes plain arrays; one row at a time keeps the conversion out of any n×d intermediate.
  const rowAt = (i: number): number[] => Array.from(x.data.subarray(i * dim, (i + 1) * dim));
  for (let i = 0; i < n; i++) {
    index.addPoint(rowAt(i), i);
    if (i % 1024 === 0) onProgress?.((0.6 * i) / n);
  }
  index.setEf(efSearch);
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const { neighbors, distances: squared } = index.searchKnn(rowAt(i), k);
    const order = neighbors.map((_, r) => r).sort((a, b) => (squared[a] as number) - (squared[b] as number));
    // The point itself leads (UMAP's convention) even when duplicates tie with it at distance 0.
    indices[i * k] = i;
    let column = 1;
    for (const r of order) {
      if (column === k) break;
      if (neighbors[r] === i) continue;
      indices[i * k + column] = neighbors[r] as number;
      distances[i * k + column] = Math.sqrt(squared[r] as number);
      column++;
    }
    if (i % 1024 === 0) onProgress?.(0.6 + (0.4 * i) / n);
  }
  onProgress?.(1);
  return { indices, distances, k };
}
