import type { FuzzyGraph } from "./fuzzy-graph";
import type { Prng } from "./prng";
import { createUmapGradientTerms } from "./umap-gradient-terms";

// UMAP's layout optimisation as umap-js' optimizeLayoutStep runs it (random uniform start in ±10, edges
// pruned below max/epochs, per-edge sampling by epochs_per_sample, negative sampling, gradient clip 4,
// linearly decaying learning rate), on flat typed arrays with the 2-D case unrolled. Three departures, none
// visible in the result, make it several times faster: the gradient coefficients come from tables
// (umap-gradient-terms.ts, 1e-6 relative) instead of pow and a division, negative samples are drawn by an
// inline xorshift seeded from the PRNG, and coordinates are stored as float32.

export interface LayoutOptions {
  epochs: number;
  a: number;
  b: number;
  learningRate: number;
  negativeSampleRate: number;
  repulsionStrength: number;
  onProgress?: (fraction: number) => void;
}

// umap-js clips each gradient component to ±4.
const GRADIENT_CLIP = 4;
// Layout starts uniformly in [−10, 10]² like umap-js.
const INIT_RANGE = 10;

/** Optimises a 2-D layout of the graph's `n` points; returns [n, 2]. */
export function optimizeLayout(
  graph: FuzzyGraph,
  n: number,
  prng: Prng,
  options: LayoutOptions,
): Float32Array {
  const { epochs, a, b, learningRate, negativeSampleRate, repulsionStrength, onProgress } = options;
  // float32 halves the randomly accessed working set (negative samples hit any point), which is measurably
  // faster at 100k points; the SGD's own noise is far above float32 rounding.
  const embedding = new Float32Array(n * 2).map(() => prng.next() * 2 * INIT_RANGE - INIT_RANGE);
  const { heads, tails, epochsPerSample } = sampledEdges(graph, epochs);
  const edges = heads.length;
  const epochOfNextSample = Float64Array.from(epochsPerSample);
  const epochsPerNegativeSample = epochsPerSample.map((e) => e / negativeSampleRate);
  const epochOfNextNegativeSample = Float64Array.from(epochsPerNegativeSample);
  const { attraction, repulsion } = createUmapGradientTerms(a, b);
  let random = prng.nextInt(0x7fffffff) | 1; // xorshift state must be non-zero
  const uint32ToIndex = n / 2 ** 32;
  const twoB = 2 * b;
  const twoGammaB = 2 * repulsionStrength * b;
  for (let epoch = 0; epoch < epochs; epoch++) {
    // As in umap-learn and umap-js, the rate for epoch e is set at the end of epoch e − 1.
    const alpha = learningRate * (1 - Math.max(0, epoch - 1) / epochs);
    for (let e = 0; e < edges; e++) {
      if ((epochOfNextSample[e] as number) > epoch) continue;
      const j = (heads[e] as number) * 2;
      const k = (tails[e] as number) * 2;
      let dx = (embedding[j] as number) - (embedding[k] as number);
      let dy = (embedding[j + 1] as number) - (embedding[k + 1] as number);
      let distSquared = dx * dx + dy * dy;
      if (distSquared > 0) {
        const coefficient = -twoB * attraction(distSquared);
        const gx = clip(coefficient * dx) * alpha;
        const gy = clip(coefficient * dy) * alpha;
        embedding[j] = (embedding[j] as number) + gx;
        embedding[j + 1] = (embedding[j + 1] as number) + gy;
        embedding[k] = (embedding[k] as number) - gx;
        embedding[k + 1] = (embedding[k + 1] as number) - gy;
      }
      epochOfNextSample[e] = (epochOfNextSample[e] as number) + (epochsPerSample[e] as number);
      const perNegative = epochsPerNegativeSample[e] as number;
      const negatives = Math.floor((epoch - (epochOfNextNegativeSample[e] as number)) / perNegative);
      const x = embedding[j] as number;
      const y = embedding[j + 1] as number;
      let moveX = 0;
      let moveY = 0;
      for (let p = 0; p < negatives; p++) {
        // xorshift32, inline and scaled by a multiply: a call or an integer division per negative sample
        // would cost as much as the sample's own arithmetic.
        random ^= random << 13;
        random ^= random >>> 17;
        random ^= random << 5;
        const other = ((random >>> 0) * uint32ToIndex) | 0;
        const o = other * 2;
        dx = x + moveX - (embedding[o] as number);
        dy = y + moveY - (embedding[o + 1] as number);
        distSquared = dx * dx + dy * dy;
        if (distSquared > 0) {
          const coefficient = twoGammaB * repulsion(distSquared);
          moveX += clip(coefficient * dx) * alpha;
          moveY += clip(coefficient * dy) * alpha;
        } else if (j !== o) {
          moveX += GRADIENT_CLIP * alpha;
          moveY += GRADIENT_CLIP * alpha;
        }
      }
      embedding[j] = x + moveX;
      embedding[j + 1] = y + moveY;
      epochOfNextNegativeSample[e] = (epochOfNextNegativeSample[e] as number) + negatives * perNegative;
    }
    onProgress?.((epoch + 1) / epochs);
  }
  return embedding;
}

function clip(value: number): number {
  return Math.min(GRADIENT_CLIP, Math.max(-GRADIENT_CLIP, value));
}

/** Drops edges too weak to be sampled once in `epochs` and gives each the epochs between its samples. */
function sampledEdges(
  graph: FuzzyGraph,
  epochs: number,
): { heads: Int32Array; tails: Int32Array; epochsPerSample: Float64Array } {
  let max = 0;
  for (const w of graph.weights) max = Math.max(max, w);
  const keep: number[] = [];
  graph.weights.forEach((w, e) => {
    if (w >= max / epochs) keep.push(e);
  });
  return {
    heads: Int32Array.from(keep, (e) => graph.heads[e] as number),
    tails: Int32Array.from(keep, (e) => graph.tails[e] as number),
    epochsPerSample: Float64Array.from(keep, (e) => max / (graph.weights[e] as number)),
  };
}
