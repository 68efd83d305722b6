import hnswlib from "hnswlib-node";
import { type FloatArray, matrixDims, type Tensor } from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import { localityOrder } from "./locality-order";
import { SharedWorkers } from "./shared-workers";

// k-nearest neighbours for UMAP from an HNSW index (hnswlib-node: the Node binding of the reference hnswlib
// C++ library, maintained, ~250k downloads a month, built from source by node-gyp at install, so it works
// offline). Building and querying the index is O(n log n) and far faster than umap-js' own NN-descent.
// On several threads the rows are split into one shard per thread (a native index cannot be shared between
// threads): each thread indexes its shard and searches it for every row, and each row keeps the k nearest of
// the shards' candidates. Building is split, searching is not (every shard answers every row), but each shard's
// search has its own beam, so the merged neighbours are at least as exact as one index's. The rows are searched
// in a locality order (locality-order.ts), which halves the search's time without changing its answers.

export interface KnnGraph {
  indices: Int32Array; // [n, k] neighbour ids, nearest first; column 0 is the point itself
  distances: Float64Array; // [n, k] Euclidean distances
  k: number;
}

export interface HnswOptions {
  k: number;
  seed?: number;
  /** HNSW graph degree (default 12). */
  m?: number;
  /** Beam width while building (default 32). */
  efConstruction?: number;
  /** Beam width while querying (default max(2k, 30)). */
  efSearch?: number;
  /** Worker threads, one shard of the rows each (default 1: one index, on the calling thread). */
  threads?: number;
  onProgress?: (fraction: number) => void;
}

/** What one shard's thread needs; its arrays are on SharedArrayBuffers when threads share them. */
export interface ShardSearch {
  rows: FloatArray; // [n, dim] every row
  dim: number;
  shardStart: number;
  shardEnd: number;
  k: number;
  seed: number;
  m: number;
  efConstruction: number;
  efSearch: number;
  queryOrder: Int32Array; // [n] the order the rows are searched in (it changes the speed, never the answers)
  candidates: Int32Array; // [n, k] out: nearest ids in the shard, ascending distance (−1: none)
  squaredDistances: Float64Array; // [n, k] out
  progress: Int32Array; // [1] out: rows indexed + rows searched so far
}

// Graph degree and build beam of an index answering single queries (knn-index.ts: recall@10 ≥ 0.99).
export const HNSW_M = 16;
export const HNSW_EF_CONSTRUCTION = 64;
// UMAP's neighbour graph needs less: its layout only has to be as trustworthy as with exact-ish neighbours.
// Measured on 20,000 clustered 128-D points in their 64-D principal subspace (bench/umap.ts' mixture, 200
// epochs, trustworthiness@15 on 1,000 queries): M = 12 with efConstruction = 32 scores 0.9837 against 0.9833
// for M = 16, efConstruction = 64, with a third less search CPU (2.1 s against 3.1 s); M = 8 loses 0.002.
// Earlier, on 20k 256-D points, efConstruction 100 and a beam of 48 were within 0.001 of 64 and max(2k, 30).
const UMAP_HNSW_M = 12;
const UMAP_HNSW_EF_CONSTRUCTION = 32;
const HNSW_MIN_EF_SEARCH = 30;
// Share of a shard's progress taken by building its index (the rest is the search).
const BUILD_SHARE = 0.5;

/** Approximate kNN of every row among all rows (Euclidean), itself included as the first neighbour. */
export function hnswNearestNeighbors(x: Tensor<FloatArray>, options: HnswOptions): KnnGraph {
  const { k, seed = 0, onProgress } = options;
  const [n, dim] = matrixDims(x, "X");
  if (!Number.isInteger(k) || k < 2 || k > n)
    throw new AnalysisInputError(`k must be in [2, ${n}], got ${k}`);
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new AnalysisInputError(`threads must be a positive integer, got ${threads}`);
  }
  // Every shard must hold k rows to answer k candidates.
  const shards = Math.max(1, Math.min(threads, Math.floor(n / k)));
  const isShared = shards > 1;
  // hnswlib stores float32 whatever it is given, so the rows travel to the threads as float32.
  const rows = isShared ? new Float32Array(new SharedArrayBuffer(n * dim * 4)) : x.data;
  if (isShared) rows.set(x.data);
  const order = localityOrder(x.data, dim);
  const queryOrder = isShared ? new Int32Array(new SharedArrayBuffer(n * 4)) : order;
  if (isShared) queryOrder.set(order);
  const searches = Array.from(
    { length: shards },
    (_, s): ShardSearch => ({
      rows,
      dim,
      shardStart: Math.floor((s * n) / shards),
      shardEnd: Math.floor(((s + 1) * n) / shards),
      k,
      seed,
      m: options.m ?? UMAP_HNSW_M,
      efConstruction: options.efConstruction ?? UMAP_HNSW_EF_CONSTRUCTION,
      efSearch: options.efSearch ?? Math.max(2 * k, HNSW_MIN_EF_SEARCH),
      queryOrder,
      candidates: new Int32Array(isShared ? new SharedArrayBuffer(n * k * 4) : new ArrayBuffer(n * k * 4)),
      squaredDistances: new Float64Array(
        isShared ? new SharedArrayBuffer(n * k * 8) : new ArrayBuffer(n * k * 8),
      ),
      progress: new Int32Array(isShared ? new SharedArrayBuffer(4) : new ArrayBuffer(4)),
    }),
  );
  const report = () => {
    let fraction = 0;
    for (const search of searches) fraction += shardProgress(search) / shards;
    onProgress?.(fraction);
  };
  if (isShared) {
    const workers = new SharedWorkers(
      new URL("./hnsw-shard-worker.ts", import.meta.url),
      shards,
      (s) => searches[s],
    );
    try {
      workers.runStep(report);
    } finally {
      workers.close();
    }
  } else {
    searchShard(searches[0] as ShardSearch, report);
  }
  onProgress?.(1);
  return mergeShards(searches, n, k);
}

export interface HnswBuild {
  rows: FloatArray; // [n, dim]
  dim: number;
  /** Rows [start, end) are indexed, each under its row number. */
  start: number;
  end: number;
  seed: number;
  m: number;
  efConstruction: number;
  /** Called every 1024 rows with the number indexed so far. */
  onRows?: (indexed: number) => void;
}

/** A Euclidean HNSW index of rows [start, end), each labelled by its row number. */
export function buildHnswIndex(build: HnswBuild): hnswlib.HierarchicalNSW {
  const index = createHnswIndex(build);
  for (let i = build.start; i < build.end; i += 1024) {
    const to = Math.min(build.end, i + 1024);
    addHnswRows(index, build, i, to);
    build.onRows?.(to - build.start);
  }
  return index;
}

/** An empty index sized for rows [start, end) of `build`. */
export function createHnswIndex(build: Omit<HnswBuild, "rows" | "onRows">): hnswlib.HierarchicalNSW {
  const index = new hnswlib.HierarchicalNSW("l2", build.dim);
  index.initIndex({
    maxElements: build.end - build.start,
    m: build.m,
    efConstruction: build.efConstruction,
    randomSeed: build.seed,
  });
  return index;
}

/** Adds rows [from, to) of `rows` to the index, each under its row number. */
export function addHnswRows(
  index: hnswlib.HierarchicalNSW,
  build: Pick<HnswBuild, "rows" | "dim">,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) index.addPoint(plainRow(build.rows, build.dim, i), i);
}

// hnswlib-node takes plain arrays; one row at a time keeps the conversion out of any n×d intermediate.
export function plainRow(rows: FloatArray, dim: number, i: number): number[] {
  return Array.from(rows.subarray(i * dim, (i + 1) * dim));
}

/** Indexes one shard's rows and searches it for the k nearest of every row. */
export function searchShard(search: ShardSearch, onStep?: () => void): void {
  const { rows, dim, shardStart, shardEnd, k, candidates, squaredDistances, progress } = search;
  const n = rows.length / dim;
  const index = buildHnswIndex({
    rows,
    dim,
    start: shardStart,
    end: shardEnd,
    seed: search.seed,
    m: search.m,
    efConstruction: search.efConstruction,
    onRows: (indexed) => {
      Atomics.store(progress, 0, indexed);
      onStep?.();
    },
  });
  index.setEf(search.efSearch);
  candidates.fill(-1);
  for (let r = 0; r < n; r++) {
    const i = search.queryOrder[r] as number;
    const { neighbors, distances } = index.searchKnn(plainRow(rows, dim, i), k);
    const order = neighbors
      .map((_, r) => r)
      .sort((a, b) => (distances[a] as number) - (distances[b] as number));
    order.forEach((r, column) => {
      candidates[i * k + column] = neighbors[r] as number;
      squaredDistances[i * k + column] = distances[r] as number;
    });
    if (r % 1024 === 0) {
      Atomics.store(progress, 0, shardEnd - shardStart + r);
      onStep?.();
    }
  }
}

function shardProgress(search: ShardSearch): number {
  const size = search.shardEnd - search.shardStart;
  const done = Atomics.load(search.progress, 0);
  const n = search.rows.length / search.dim;
  return done <= size ? (BUILD_SHARE * done) / size : BUILD_SHARE + ((1 - BUILD_SHARE) * (done - size)) / n;
}

/** Per row: the point itself, then the k − 1 nearest other candidates over all shards (ties in shard order). */
function mergeShards(searches: ShardSearch[], n: number, k: number): KnnGraph {
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  // Each shard's candidates are already ascending, so the row is a k-way merge: the next neighbour is the
  // first shard head with the smallest distance (earlier shards win ties). No per-candidate objects: a million
  // rows have tens of millions of candidates.
  const cursors = new Int32Array(searches.length);
  for (let i = 0; i < n; i++) {
    cursors.fill(i * k);
    // The point itself leads (UMAP's convention) even when duplicates tie with it at distance 0.
    indices[i * k] = i;
    for (let column = 1; column < k; column++) {
      let best = -1;
      let bestSquared = Number.POSITIVE_INFINITY;
      searches.forEach(({ candidates, squaredDistances }, s) => {
        let c = cursors[s] as number;
        while (c < (i + 1) * k && (candidates[c] === i || (candidates[c] as number) < 0)) c++;
        cursors[s] = c;
        if (c < (i + 1) * k && (squaredDistances[c] as number) < bestSquared) {
          best = s;
          bestSquared = squaredDistances[c] as number;
        }
      });
      if (best < 0) break;
      const search = searches[best] as ShardSearch;
      const c = cursors[best] as number;
      indices[i * k + column] = search.candidates[c] as number;
      distances[i * k + column] = Math.sqrt(bestSquared);
      cursors[best] = c + 1;
    }
  }
  return { indices, distances, k };
}
