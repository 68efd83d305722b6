import { availableParallelism } from "node:os";
import { findABParams } from "umap-js/dist/umap";
import { type FloatArray, matrixDims, type Tensor } from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import { fuzzySimplicialSet } from "./fuzzy-graph";
import { hnswNearestNeighbors, type KnnGraph } from "./nearest-neighbors";
import { projectToPrincipalSubspace } from "./principal-subspace";
import { createPrng } from "./prng";
import { resolveOptions } from "./resolve-options";
import { optimizeLayout } from "./umap-layout";

export interface UmapParams {
  nNeighbors: number;
  minDist: number;
  spread: number;
  /** Layout epochs; umap-js' size-dependent default when omitted (500 up to 2,500 points … 200 above 7,500). */
  epochs: number;
  seed: number;
  /**
   * Neighbours are searched among the rows' coordinates in their top-`knnDims` principal subspace when the
   * input has more dimensions (null: in the input space itself). 64 keeps layouts as trustworthy as full-space
   * neighbours on 256-D features at a fraction of the search time.
   */
  knnDims: number | null;
  learningRate: number;
  negativeSampleRate: number;
  repulsionStrength: number;
  /**
   * Worker threads for the neighbour search and the layout (1: the calling thread alone). The layout depends on
   * the seed and on this count: the same seed and thread count always give the same layout. Default: one per
   * core from PARALLEL_MIN_POINTS points on, one below (starting threads would cost more than they save).
   */
  threads: number;
}

export interface UmapOptions extends Partial<UmapParams> {
  /** Neighbours computed elsewhere (k = nNeighbors, self first); HNSW is used when absent. */
  knn?: KnnGraph;
  onProgress?: (fraction: number) => void;
}

export interface UmapResult {
  embedding: Tensor<Float32Array>; // [n, 2]
  params: UmapParams;
}

// umap-js' defaults, so a lens layout and a plain umap-js layout with the same settings are comparable (plus
// lens' own neighbour-search subspace).
const DEFAULTS = {
  nNeighbors: 15,
  minDist: 0.1,
  spread: 1,
  seed: 0,
  knnDims: 64 as number | null,
  learningRate: 1,
  negativeSampleRate: 5,
  repulsionStrength: 1,
};
// Below this many points a layout takes well under a second and threads would cost more than they save.
const PARALLEL_MIN_POINTS = 5000;
// Share of the progress bar taken by the neighbour search (the rest is the layout).
const KNN_PROGRESS_SHARE = 0.4;

/** Threads `umapProject` uses for `n` points unless told otherwise. */
export function defaultUmapThreads(n: number): number {
  return n < PARALLEL_MIN_POINTS ? 1 : availableParallelism();
}

/** umap-js' default epoch count for `n` points. */
export function defaultUmapEpochs(n: number): number {
  return n <= 2500 ? 500 : n <= 5000 ? 400 : n <= 7500 ? 300 : 200;
}

/**
 * UMAP to 2-D: HNSW neighbours (in the top principal subspace, see `knnDims`) → umap-js' fuzzy simplicial
 * set → umap-js' layout optimisation, all on typed arrays, the search and the layout on `threads` worker threads,
 * seeded (same input and params, thread count included, same layout). Synchronous: the calling thread waits.
 */
export function umapProject(x: Tensor<FloatArray>, options: UmapOptions = {}): UmapResult {
  const [n] = matrixDims(x, "X");
  const params = resolveOptions<UmapParams>(
    { ...DEFAULTS, epochs: defaultUmapEpochs(n), threads: defaultUmapThreads(n) },
    options,
  );
  if (n <= params.nNeighbors) {
    throw new AnalysisInputError(`UMAP with ${params.nNeighbors} neighbours needs more than ${n} points`);
  }
  if (!Number.isInteger(params.threads) || params.threads < 1) {
    throw new AnalysisInputError(`UMAP threads must be a positive integer, got ${params.threads}`);
  }
  const { onProgress } = options;
  const knn = options.knn ?? umapNeighbors(x, params, (f) => onProgress?.(f * KNN_PROGRESS_SHARE));
  if (knn.k !== params.nNeighbors || knn.indices.length !== n * knn.k) {
    throw new AnalysisInputError(`precomputed neighbours must be [${n}, ${params.nNeighbors}]`);
  }
  const graph = fuzzySimplicialSet(knn);
  const { a, b } = findABParams(params.spread, params.minDist);
  const embedding = optimizeLayout(graph, n, createPrng(params.seed), {
    epochs: params.epochs,
    a,
    b,
    learningRate: params.learningRate,
    negativeSampleRate: params.negativeSampleRate,
    repulsionStrength: params.repulsionStrength,
    threads: params.threads,
    onProgress: (f) => onProgress?.(KNN_PROGRESS_SHARE + f * (1 - KNN_PROGRESS_SHARE)),
  });
  return { embedding: { data: embedding, dims: [n, 2] }, params };
}

/** The neighbours `umapProject` uses: HNSW, in the top-`knnDims` principal subspace when the input is wider. */
export function umapNeighbors(
  x: Tensor<FloatArray>,
  params: Pick<UmapParams, "nNeighbors" | "seed" | "knnDims"> & Partial<Pick<UmapParams, "threads">>,
  onProgress?: (fraction: number) => void,
): KnnGraph {
  const [, dim] = matrixDims(x, "X");
  const input =
    params.knnDims !== null && dim > params.knnDims
      ? projectToPrincipalSubspace(x, params.knnDims, createPrng(params.seed))
      : x;
  return hnswNearestNeighbors(input, {
    k: params.nNeighbors,
    seed: params.seed,
    threads: params.threads ?? defaultUmapThreads(x.dims[0] ?? 0),
    onProgress,
  });
}
