import { breadthFirstOrder } from "./breadth-first-order";
import type { FuzzyGraph } from "./fuzzy-graph";
import type { Prng } from "./prng";
import { SharedWorkers } from "./shared-workers";
import { createLayoutThread, type LayoutSettings, type LayoutShared } from "./umap-layout-epoch";

// UMAP's layout optimisation as umap-js' optimizeLayoutStep runs it (random uniform start in ±10, edges
// pruned below max/epochs, per-edge sampling by epochs_per_sample, negative sampling, gradient clip 4,
// linearly decaying learning rate), on flat typed arrays with the 2-D case unrolled, on one thread or several
// (umap-layout-epoch.ts: how the work is split and why the result depends only on the seed and the thread
// count). Four departures, none visible in the result, make it several times faster: the gradient
// coefficients come from tables (umap-gradient-terms.ts, 1e-6 relative) instead of pow and a division,
// negative samples are drawn by an inline xorshift seeded from the PRNG, coordinates are stored as float32, and
// the points are relabelled breadth first over the graph (each keeps its starting position) with their edges
// ordered by head.

export interface LayoutOptions extends LayoutSettings {
  /** Threads sampling the edges (1: inline, on the calling thread). */
  threads: number;
  onProgress?: (fraction: number) => void;
}

// Layout starts uniformly in [−10, 10]² like umap-js.
const INIT_RANGE = 10;

/** Optimises a 2-D layout of the graph's `n` points; returns [n, 2]. */
export function optimizeLayout(
  graph: FuzzyGraph,
  n: number,
  prng: Prng,
  options: LayoutOptions,
): Float32Array {
  const { threads, onProgress, ...settings } = options;
  // The layout runs on points relabelled breadth first (breadth-first-order.ts): linked points are then close in
  // memory, which at 100,000 points and more is what the random coordinate reads cost.
  const rank = new Int32Array(n); // relabelled id of each point
  breadthFirstOrder(graph.heads, graph.tails, n).forEach((point, r) => {
    rank[point] = r;
  });
  // float32 halves the randomly accessed working set (negative samples hit any point), which is measurably
  // faster at 100k points; the SGD's own noise is far above float32 rounding.
  const embedding = sharedFloat32(n * 2, threads > 1);
  for (let point = 0; point < n; point++) {
    const r = rank[point] as number;
    embedding[r * 2] = prng.next() * 2 * INIT_RANGE - INIT_RANGE;
    embedding[r * 2 + 1] = prng.next() * 2 * INIT_RANGE - INIT_RANGE;
  }
  const shared = shareEdges(graph, rank, embedding, prng, threads, settings);
  if (threads === 1) {
    const thread = createLayoutThread(shared, 0, settings);
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      thread.runEpoch(epoch);
      onProgress?.((epoch + 1) / settings.epochs);
    }
  } else {
    const workers = new SharedWorkers(
      new URL("./umap-layout-worker.ts", import.meta.url),
      threads,
      (index) => ({
        shared,
        thread: index,
        settings,
      }),
    );
    try {
      // Step 0 builds each thread's state; then one step per epoch, and one to fold in the last epoch's moves.
      workers.runStep();
      for (let epoch = 0; epoch < settings.epochs; epoch++) {
        workers.runStep();
        onProgress?.((epoch + 1) / settings.epochs);
      }
      workers.runStep();
    } finally {
      workers.close();
    }
  }
  const layout = new Float32Array(n * 2);
  for (let point = 0; point < n; point++) {
    const r = rank[point] as number;
    layout[point * 2] = embedding[r * 2] as number;
    layout[point * 2 + 1] = embedding[r * 2 + 1] as number;
  }
  return layout;
}

function sharedFloat32(length: number, isShared: boolean): Float32Array {
  return isShared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
}

/**
 * Drops edges too weak to be sampled once in `epochs`, gives each the epochs between its samples, and splits the
 * relabelled points into `threads` id ranges of about equal sampling work; edges are relabelled and ordered by
 * head (so a thread's edges are its range's, and heads are read in order), in their original order per head.
 */
function shareEdges(
  graph: FuzzyGraph,
  rank: Int32Array,
  embedding: Float32Array,
  prng: Prng,
  threads: number,
  settings: LayoutSettings,
): LayoutShared {
  const n = embedding.length / 2;
  const isShared = threads > 1;
  let max = 0;
  for (const w of graph.weights) max = Math.max(max, w);
  const work = new Float64Array(n); // expected samples per epoch of each (relabelled) head's edges
  const headStarts = new Int32Array(n + 1); // kept edges per head, then their offsets
  let totalWork = 0;
  graph.weights.forEach((w, e) => {
    if (w < max / settings.epochs) return;
    const head = rank[graph.heads[e] as number] as number;
    work[head] = (work[head] as number) + w / max;
    headStarts[head + 1] = (headStarts[head + 1] as number) + 1;
    totalWork += w / max;
  });
  for (let i = 0; i < n; i++) headStarts[i + 1] = (headStarts[i + 1] as number) + (headStarts[i] as number);
  const kept = headStarts[n] as number;
  const pointStarts = new Int32Array(threads + 1);
  let cumulative = 0;
  let thread = 1;
  for (let i = 0; i < n && thread < threads; i++) {
    cumulative += work[i] as number;
    while (thread < threads && cumulative >= (totalWork * thread) / threads) pointStarts[thread++] = i + 1;
  }
  for (; thread <= threads; thread++) pointStarts[thread] = n;
  const edgeStarts = pointStarts.map((point) => headStarts[point] as number);
  const heads = new Int32Array(isShared ? new SharedArrayBuffer(kept * 4) : new ArrayBuffer(kept * 4));
  const tails = new Int32Array(isShared ? new SharedArrayBuffer(kept * 4) : new ArrayBuffer(kept * 4));
  const epochsPerSample = new Float64Array(
    isShared ? new SharedArrayBuffer(kept * 8) : new ArrayBuffer(kept * 8),
  );
  const next = headStarts.slice(0, n);
  graph.weights.forEach((w, e) => {
    if (w < max / settings.epochs) return;
    const head = rank[graph.heads[e] as number] as number;
    const slot = next[head] as number;
    next[head] = slot + 1;
    heads[slot] = head;
    tails[slot] = rank[graph.tails[e] as number] as number;
    epochsPerSample[slot] = max / w;
  });
  // xorshift states must be non-zero; thread 0's is the single-thread layout's.
  const seeds = Int32Array.from({ length: threads }, () => prng.nextInt(0x7fffffff) | 1);
  // Epoch 0 reads the starting layout as the previous epoch's (parity 1) publication.
  const snapshots = isShared ? [sharedFloat32(n * 2, true), sharedFloat32(n * 2, true)] : [];
  snapshots[1]?.set(embedding);
  const moveBuffers = () => Array.from({ length: threads }, () => sharedFloat32(n * 2, true));
  return {
    embedding,
    snapshots,
    crossMoves: isShared ? [moveBuffers(), moveBuffers()] : [],
    heads,
    tails,
    epochsPerSample,
    edgeStarts,
    pointStarts,
    seeds,
  };
}
