import { createUmapGradientTerms } from "./umap-gradient-terms";

// One thread's share of UMAP's layout epochs, the same code whether the layout runs on one thread (inline) or on
// several (umap-layout-worker.ts). Like umap-learn's parallel layout (numba prange over the edges, an RNG state of
// its own per thread) each thread samples a disjoint set of edges with its own negative-sample stream; unlike
// umap-learn (Hogwild: threads read and write any point unsynchronised, so its parallel layouts are not
// reproducible) the result does not depend on timing: a thread owns the points of one id range and
// - moves only its own points in place and reads them live;
// - reads other threads' points as their owners published them at the end of the previous epoch (`snapshots`),
//   and so its own points too when they are negative samples: one array for every negative sample instead of a
//   choice between two, which the CPU cannot predict (half of a million points' negatives are any thread's) and
//   whose mispredictions stall the random reads that bound the loop;
// - adds the moves it makes to other threads' points into its own `crossMoves` buffer, which their owners fold in
//   at the start of the next epoch, in thread order.
// Snapshots and move buffers alternate by epoch parity, so one barrier per epoch separates every write from the
// reads of it. With one thread it is exactly the sequential algorithm (umap-js' optimizeLayoutStep order).

// umap-js clips each gradient component to ±4.
const GRADIENT_CLIP = 4;

export interface LayoutShared {
  embedding: Float32Array; // [n, 2] live coordinates (each point written only by its owner)
  snapshots: Float32Array[]; // by epoch parity [n, 2]: coordinates published at the end of an epoch
  crossMoves: Float32Array[][]; // by epoch parity, per thread [n, 2]: moves of other threads' points
  heads: Int32Array; // [edges] sorted by owner thread
  tails: Int32Array; // [edges]
  epochsPerSample: Float64Array; // [edges]
  edgeStarts: Int32Array; // [threads + 1] each thread's edge range
  pointStarts: Int32Array; // [threads + 1] each thread's point-id range
  seeds: Int32Array; // [threads] xorshift states, non-zero
}

export interface LayoutSettings {
  epochs: number;
  a: number;
  b: number;
  learningRate: number;
  negativeSampleRate: number;
  repulsionStrength: number;
}

export interface LayoutThread {
  /**
   * Folds in the previous epoch's moves of this thread's points, samples its edges, publishes its points; after
   * the last epoch, a call with `epoch = epochs` folds in that epoch's moves.
   */
  runEpoch(epoch: number): void;
}

export function createLayoutThread(
  shared: LayoutShared,
  thread: number,
  settings: LayoutSettings,
): LayoutThread {
  const { embedding, heads, tails } = shared;
  const { epochs, a, b, learningRate, negativeSampleRate, repulsionStrength } = settings;
  const threads = shared.seeds.length;
  const edgeStart = at(shared.edgeStarts, thread);
  const edgeEnd = at(shared.edgeStarts, thread + 1);
  const lo = at(shared.pointStarts, thread);
  const hi = at(shared.pointStarts, thread + 1);
  const n = embedding.length / 2;
  const epochsPerSample = shared.epochsPerSample.subarray(edgeStart, edgeEnd);
  const epochOfNextSample = Float64Array.from(epochsPerSample);
  const epochsPerNegativeSample = epochsPerSample.map((e) => e / negativeSampleRate);
  const epochOfNextNegativeSample = Float64Array.from(epochsPerNegativeSample);
  const { attraction, repulsion } = createUmapGradientTerms(a, b);
  let random = at(shared.seeds, thread);
  const uint32ToIndex = n / 2 ** 32;
  const twoB = 2 * b;
  const twoGammaB = 2 * repulsionStrength * b;
  const edges = edgeEnd - edgeStart;
  const loOffset = lo * 2;
  const hiOffset = hi * 2;
  // A step's negative samples and their coordinates. An edge sampled every p ≥ 1 epochs is sampled at most
  // p + 1 epochs after its previous step, whose negative-sample clock was left less than one period p/rate
  // behind; so a step draws fewer than (p + 1 + p/rate)·rate/p ≤ 2·rate + 1 of them.
  const drawnCapacity = Math.ceil(2 * negativeSampleRate) + 2;
  const drawn = new Int32Array(drawnCapacity);
  const drawnX = new Float64Array(drawnCapacity);
  const drawnY = new Float64Array(drawnCapacity);
  const foldCrossMoves = (buffers: Float32Array[]) => {
    for (const other of buffers) {
      for (let o = loOffset; o < hiOffset; o++) {
        embedding[o] = (embedding[o] as number) + (other[o] as number);
        other[o] = 0;
      }
    }
  };

  return {
    runEpoch(epoch) {
      const parity = epoch & 1;
      // Other threads' points are read as published last epoch; with one thread every point is this thread's.
      const published = threads === 1 ? embedding : (shared.snapshots[1 - parity] as Float32Array);
      const moves = threads === 1 ? embedding : (shared.crossMoves[parity]?.[thread] as Float32Array);
      if (threads > 1) foldCrossMoves((shared.crossMoves[1 - parity] ?? []).filter((_, t) => t !== thread));
      if (epoch === epochs) return; // the extra step after the last epoch only folds its moves
      // As in umap-learn and umap-js, the rate for epoch e is set at the end of epoch e − 1.
      const alpha = learningRate * (1 - Math.max(0, epoch - 1) / epochs);
      // Everything the loop touches is a local: the loop runs up to a million samples per thread and epoch, and
      // captured variables (the xorshift state above all) would be loaded and stored through the closure.
      let state = random;
      for (let e = 0; e < edges; e++) {
        if ((epochOfNextSample[e] as number) > epoch) continue;
        const j = (heads[edgeStart + e] as number) * 2; // always this thread's point
        const k = (tails[edgeStart + e] as number) * 2;
        const perNegative = epochsPerNegativeSample[e] as number;
        const negatives = Math.floor((epoch - (epochOfNextNegativeSample[e] as number)) / perNegative);
        if (negatives > drawnCapacity) throw new RangeError(`${negatives} negative samples in one step`);
        // The negative samples are drawn, and their coordinates read, before any arithmetic: the reads hit any of
        // the n points (at a million, main memory) and none depends on another, so they all wait at once, and
        // while the positive sample is computed, instead of one after another inside the dependent updates.
        for (let p = 0; p < negatives; p++) {
          // xorshift32, inline and scaled by a multiply: a call or an integer division per negative sample
          // would cost as much as the sample's own arithmetic.
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          const o = (((state >>> 0) * uint32ToIndex) | 0) * 2;
          drawn[p] = o;
          drawnX[p] = published[o] as number;
          drawnY[p] = published[o + 1] as number;
        }
        const tailIsOwn = k >= loOffset && k < hiOffset;
        const tail = tailIsOwn ? embedding : published;
        let dx = (embedding[j] as number) - (tail[k] as number);
        let dy = (embedding[j + 1] as number) - (tail[k + 1] as number);
        let distSquared = dx * dx + dy * dy;
        if (distSquared > 0) {
          const coefficient = -twoB * attraction(distSquared);
          const gx = clip(coefficient * dx) * alpha;
          const gy = clip(coefficient * dy) * alpha;
          embedding[j] = (embedding[j] as number) + gx;
          embedding[j + 1] = (embedding[j + 1] as number) + gy;
          const tailMoves = tailIsOwn ? embedding : moves;
          tailMoves[k] = (tailMoves[k] as number) - gx;
          tailMoves[k + 1] = (tailMoves[k + 1] as number) - gy;
        }
        epochOfNextSample[e] = (epochOfNextSample[e] as number) + (epochsPerSample[e] as number);
        const x = embedding[j] as number;
        const y = embedding[j + 1] as number;
        let moveX = 0;
        let moveY = 0;
        for (let p = 0; p < negatives; p++) {
          if (drawn[p] === j) continue; // the point itself: no force (umap-js reads it at distance 0)
          dx = x + moveX - (drawnX[p] as number);
          dy = y + moveY - (drawnY[p] as number);
          distSquared = dx * dx + dy * dy;
          if (distSquared > 0) {
            const coefficient = twoGammaB * repulsion(distSquared);
            moveX += clip(coefficient * dx) * alpha;
            moveY += clip(coefficient * dy) * alpha;
          } else {
            moveX += GRADIENT_CLIP * alpha;
            moveY += GRADIENT_CLIP * alpha;
          }
        }
        embedding[j] = x + moveX;
        embedding[j + 1] = y + moveY;
        epochOfNextNegativeSample[e] = (epochOfNextNegativeSample[e] as number) + negatives * perNegative;
      }
      random = state;
      if (threads > 1) shared.snapshots[parity]?.set(embedding.subarray(loOffset, hiOffset), loOffset);
    },
  };
}

function clip(value: number): number {
  return Math.min(GRADIENT_CLIP, Math.max(-GRADIENT_CLIP, value));
}

function at(array: Int32Array, index: number): number {
  const value = array[index];
  if (value === undefined) throw new RangeError(`index ${index} outside [0, ${array.length})`);
  return value;
}
