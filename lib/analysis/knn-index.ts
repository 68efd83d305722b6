import type hnswlib from "hnswlib-node";
import { type FloatArray, l2NormalizeRows, matrixDims, type Tensor, toFloat32 } from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import { addHnswRows, createHnswIndex, HNSW_EF_CONSTRUCTION, HNSW_M, plainRow } from "./nearest-neighbors";

// An exact scan costs about 0.6–0.8 ns per stored value (bench/similar-images.ts: 10 ms for 20,000 × 256, 39 ms
// for 50,000 × 256), so up to 2^23 values (32,768 rows of 256-D) it answers within ~20 ms, as fast as a person
// notices; there an HNSW index would only add its build (2.6 s for 20,000 × 256). Above it, the HNSW index
// (built in slices, see buildStep) answers in under a millisecond (0.5 ms at 50,000 × 256).
export const EXACT_MAX_VALUES = 2 ** 23;
// Query beam of the HNSW index: recall@10 ≥ 0.99 on clustered data (tests/unit/analysis/knn-index.test.ts).
const MIN_EF_SEARCH = 64;

/** The nearest rows to a query, nearest first. */
export interface KnnAnswer {
  rows: Int32Array; // [k] row numbers
  distances: Float32Array; // [k] cosine distances 1 − cos, ascending
}

/** Cosine k-nearest-neighbour search over a fixed set of rows. */
export interface CosineIndex {
  readonly size: number;
  readonly dim: number;
  /** "exact" until an HNSW index is complete (small inputs never build one). */
  readonly method: "exact" | "hnsw";
  /** The k rows nearest to `query` ([dim], any norm), leaving out the rows in `exclude`. */
  search(query: FloatArray, k: number, exclude?: ReadonlySet<number>): KnnAnswer;
  /** A row of the index, unit length. */
  row(i: number): Float32Array;
  /**
   * Adds up to `rows` more rows to the HNSW index under construction, so a caller can build it between other
   * work (its thread stays responsive); true once it is complete or not needed. Searches stay exact until then.
   */
  buildStep(rows: number): boolean;
}

export interface CosineIndexOptions {
  /** Exact scans up to this many stored values (rows × dim; default EXACT_MAX_VALUES), HNSW above. */
  exactMaxValues?: number;
  seed?: number;
}

/**
 * A cosine index of `rows` [n, dim]: the rows are normalised once, so the cosine distance is 1 − dot, and for
 * the HNSW index (Euclidean, the UMAP pipeline's builder) half the squared distance between unit vectors.
 */
export function buildCosineIndex(rows: Tensor<FloatArray>, options: CosineIndexOptions = {}): CosineIndex {
  const [n, dim] = matrixDims(rows, "rows");
  const unit = l2NormalizeRows(toFloat32(rows)).normalized.data;
  const build = { rows: unit, dim, start: 0, end: n, seed: options.seed ?? 0 };
  const hnsw =
    n * dim <= (options.exactMaxValues ?? EXACT_MAX_VALUES)
      ? null
      : createHnswIndex({ ...build, m: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION });
  let built = hnsw === null ? n : 0;
  const row = (i: number) => unit.subarray(i * dim, (i + 1) * dim);
  return {
    size: n,
    dim,
    get method() {
      return hnsw !== null && built === n ? "hnsw" : "exact";
    },
    row,
    buildStep: (rowsPerStep) => {
      if (hnsw !== null && built < n) {
        const to = Math.min(n, built + Math.max(1, rowsPerStep));
        addHnswRows(hnsw, build, built, to);
        built = to;
      }
      return built === n;
    },
    search: (query, k, exclude = new Set()) => {
      if (query.length !== dim)
        throw new AnalysisInputError(`query has ${query.length} dims but the index ${dim}`);
      const wanted = Math.max(0, Math.min(k, n - exclude.size));
      const normalized = l2NormalizeRows(toFloat32({ data: query, dims: [1, dim] })).normalized.data;
      return hnsw !== null && built === n
        ? hnswSearch(hnsw, n, normalized, wanted, exclude)
        : exactSearch(unit, dim, normalized, wanted, exclude);
    },
  };
}

/** One scan keeping the k best in a sorted buffer (k is small, so insertion beats a heap). */
function exactSearch(
  unit: Float32Array,
  dim: number,
  query: Float32Array,
  k: number,
  exclude: ReadonlySet<number>,
): KnnAnswer {
  const rows = new Int32Array(k).fill(-1);
  const distances = new Float32Array(k).fill(Infinity);
  const n = unit.length / dim;
  for (let i = 0; i < n; i++) {
    if (exclude.has(i)) continue;
    const offset = i * dim;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += (unit[offset + j] ?? 0) * (query[j] ?? 0);
    const distance = 1 - dot;
    if (k === 0 || distance >= (distances[k - 1] ?? Infinity)) continue;
    let at = k - 1;
    while (at > 0 && (distances[at - 1] ?? Infinity) > distance) {
      distances[at] = distances[at - 1] ?? Infinity;
      rows[at] = rows[at - 1] ?? -1;
      at--;
    }
    distances[at] = distance;
    rows[at] = i;
  }
  return { rows, distances };
}

function hnswSearch(
  index: hnswlib.HierarchicalNSW,
  n: number,
  query: Float32Array,
  k: number,
  exclude: ReadonlySet<number>,
): KnnAnswer {
  const asked = Math.min(n, k + exclude.size);
  index.setEf(Math.max(2 * asked, MIN_EF_SEARCH));
  const found = index.searchKnn(plainRow(query, query.length, 0), asked);
  const order = found.neighbors
    .map((_, r) => r)
    .filter((r) => !exclude.has(found.neighbors[r] ?? -1))
    .sort((a, b) => (found.distances[a] ?? 0) - (found.distances[b] ?? 0))
    .slice(0, k);
  return {
    rows: Int32Array.from(order, (r) => found.neighbors[r] ?? -1),
    // Squared Euclidean between unit vectors is 2 − 2 cos.
    distances: Float32Array.from(order, (r) => (found.distances[r] ?? 0) / 2),
  };
}
