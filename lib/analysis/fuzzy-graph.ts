import type { KnnGraph } from "./nearest-neighbors";

// UMAP's fuzzy simplicial set, computed as umap-js computes it (smoothKNNDistance, computeMembershipStrengths,
// fuzzy union with set_op_mix_ratio = 1) but on typed arrays instead of its Map-backed sparse matrices.

// umap-js' constants: binary-search tolerance and the floor on σ relative to the mean neighbour distance.
const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;
const SIGMA_SEARCH_STEPS = 64;

/** Symmetric weighted graph as a directed edge list (both directions of every edge), grouped by head. */
export interface FuzzyGraph {
  heads: Int32Array; // [edges]
  tails: Int32Array; // [edges]
  weights: Float64Array; // [edges] in (0, 1]
}

export function fuzzySimplicialSet(knn: KnnGraph): FuzzyGraph {
  const { indices, distances, k } = knn;
  const n = indices.length / k;
  const { sigmas, rhos } = smoothKnnDistances(distances, k);
  // Directed memberships A[i, j] for the k neighbours of each i (self gets 0).
  const membership = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const j = indices[i * k + c] as number;
      const excess = (distances[i * k + c] as number) - (rhos[i] as number);
      membership[i * k + c] = j === i ? 0 : excess <= 0 ? 1 : Math.exp(-excess / (sigmas[i] as number));
    }
  }
  // Fuzzy union W = A + Aᵀ − A∘Aᵀ. Each undirected pair is emitted once in both directions, from the end
  // with the smaller id when both list each other. At most 2·n·k directed edges: typed arrays of that size,
  // trimmed at the end, keep a million points' graph (tens of millions of edges) off the JS heap.
  const capacity = 2 * n * k;
  const heads = new Int32Array(capacity);
  const tails = new Int32Array(capacity);
  const weights = new Float64Array(capacity);
  let edges = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const a = membership[i * k + c] as number;
      const j = indices[i * k + c] as number;
      if (a === 0) continue;
      const reverse = reverseMembership(indices, membership, k, j, i);
      if (reverse > 0 && j < i) continue; // already emitted from j
      const w = a + reverse - a * reverse;
      heads[edges] = i;
      tails[edges] = j;
      weights[edges] = w;
      heads[edges + 1] = j;
      tails[edges + 1] = i;
      weights[edges + 1] = w;
      edges += 2;
    }
  }
  return { heads: heads.slice(0, edges), tails: tails.slice(0, edges), weights: weights.slice(0, edges) };
}

function reverseMembership(
  indices: Int32Array,
  membership: Float64Array,
  k: number,
  from: number,
  to: number,
): number {
  for (let c = 0; c < k; c++) if (indices[from * k + c] === to) return membership[from * k + c] as number;
  return 0;
}

/** Per point: ρ = distance to the nearest non-self neighbour, σ such that Σ exp(−(d − ρ)/σ) = log2 k. */
function smoothKnnDistances(
  distances: Float64Array,
  k: number,
): { sigmas: Float64Array; rhos: Float64Array } {
  const n = distances.length / k;
  const target = Math.log2(k);
  const sigmas = new Float64Array(n);
  const rhos = new Float64Array(n);
  let totalMean = 0;
  for (let i = 0; i < distances.length; i++) totalMean += distances[i] as number;
  totalMean /= distances.length;
  for (let i = 0; i < n; i++) {
    const row = distances.subarray(i * k, (i + 1) * k);
    // Local connectivity 1 (UMAP's default): the nearest non-self neighbour is fully connected.
    const nearest = row.find((d) => d > 0);
    if (nearest !== undefined) rhos[i] = nearest;
    let lo = 0;
    let hi = Number.POSITIVE_INFINITY;
    let mid = 1;
    for (let step = 0; step < SIGMA_SEARCH_STEPS; step++) {
      let sum = 0;
      for (let c = 1; c < k; c++) {
        const d = (row[c] as number) - (rhos[i] as number);
        sum += d > 0 ? Math.exp(-d / mid) : 1;
      }
      if (Math.abs(sum - target) < SMOOTH_K_TOLERANCE) break;
      if (sum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Number.POSITIVE_INFINITY ? mid * 2 : (lo + hi) / 2;
      }
    }
    const meanDistance = (rhos[i] as number) > 0 ? row.reduce((s, d) => s + d, 0) / k : totalMean;
    sigmas[i] = Math.max(mid, MIN_K_DIST_SCALE * meanDistance);
  }
  return { sigmas, rhos };
}
