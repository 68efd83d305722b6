import { describe, expect, it } from "vitest";
import { AnalysisInputError, hnswNearestNeighbors, projectionQuality, umapProject } from "~/lib/analysis";
import { SharedWorkers } from "~/lib/analysis/shared-workers";
import { gaussianClusters } from "./fixtures";

// Touching clusters (spread 1.5 σ) so that neighbourhoods, and with them trustworthiness, are not trivial.
const { points } = gaussianClusters(8, 100, 16, { seed: 8, spread: 1.5 });
const n = 800;
const LAYOUT = { seed: 5, epochs: 150 };
// Each test starts worker threads (TypeScript loaded in each); a loaded 2-core machine needs more than 5 s.
const THREADED_TEST_TIMEOUT = 30_000;

function recallAgainstExact(indices: Int32Array, k: number): number {
  let found = 0;
  for (let i = 0; i < n; i++) {
    const exact = Array.from({ length: n }, (_, j) => {
      let sum = 0;
      for (let d = 0; d < 16; d++)
        sum += ((points.data[i * 16 + d] as number) - (points.data[j * 16 + d] as number)) ** 2;
      return { j, sum };
    })
      .sort((a, b) => a.sum - b.sum)
      .slice(0, k);
    const approximate = new Set(indices.subarray(i * k, (i + 1) * k));
    found += exact.filter(({ j }) => approximate.has(j)).length;
  }
  return found / (n * k);
}

describe("umapProject on several threads", () => {
  // The same neighbours for every layout, so only the layout's threads differ (and no search threads start).
  const knn = hnswNearestNeighbors(points, { k: 15, seed: 1 });

  it(
    "gives one layout per seed and thread count, as trustworthy as the single-thread layout",
    () => {
      const single = umapProject(points, { ...LAYOUT, knn, threads: 1 });
      const parallel = umapProject(points, { ...LAYOUT, knn, threads: 2 });
      const again = umapProject(points, { ...LAYOUT, knn, threads: 2 });
      const three = umapProject(points, { ...LAYOUT, knn, threads: 3 });
      expect(parallel.params.threads).toBe(2);
      expect(Array.from(again.embedding.data)).toEqual(Array.from(parallel.embedding.data));
      // Another thread count splits the work differently, so it is another (equally good) layout.
      expect(Array.from(three.embedding.data)).not.toEqual(Array.from(parallel.embedding.data));
      expect(Array.from(single.embedding.data)).not.toEqual(Array.from(parallel.embedding.data));
      const score = (layout: typeof single) =>
        projectionQuality(points, layout.embedding, { k: 10 }).trustworthiness;
      const singleScore = score(single);
      expect(singleScore).toBeGreaterThan(0.85);
      expect(Math.abs(score(parallel) - singleScore)).toBeLessThan(0.01);
      expect(Math.abs(score(three) - singleScore)).toBeLessThan(0.01);
    },
    THREADED_TEST_TIMEOUT,
  );

  it(
    "reports progress up to 1 and stops the threads when progress throws (a cancel)",
    () => {
      const progress: number[] = [];
      umapProject(points, { ...LAYOUT, knn, epochs: 30, threads: 2, onProgress: (f) => progress.push(f) });
      expect(progress.at(-1)).toBeCloseTo(1, 12);
      for (let i = 1; i < progress.length; i++)
        expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1] as number);
      const cancel = () =>
        umapProject(points, {
          ...LAYOUT,
          threads: 2,
          onProgress: (f) => {
            if (f > 0.6) throw new Error("cancelled by the caller");
          },
        });
      expect(cancel).toThrow("cancelled by the caller");
    },
    THREADED_TEST_TIMEOUT,
  );

  it("rejects a thread count that is not a positive integer", () => {
    expect(() => umapProject(points, { threads: 0 })).toThrow(AnalysisInputError);
    expect(() => umapProject(points, { threads: 1.5 })).toThrow(/threads must be a positive integer/);
    expect(() => hnswNearestNeighbors(points, { k: 10, threads: -1 })).toThrow(AnalysisInputError);
  });
});

describe("hnswNearestNeighbors on several threads", () => {
  it(
    "is reproducible and finds the exact neighbours at least as often as one index",
    () => {
      const k = 10;
      const single = hnswNearestNeighbors(points, { k, seed: 1 });
      const sharded = hnswNearestNeighbors(points, { k, seed: 1, threads: 2 });
      const again = hnswNearestNeighbors(points, { k, seed: 1, threads: 2 });
      expect(Array.from(again.indices)).toEqual(Array.from(sharded.indices));
      for (let i = 0; i < n; i++) {
        expect(sharded.indices[i * k]).toBe(i);
        for (let c = 2; c < k; c++) {
          expect(sharded.distances[i * k + c]).toBeGreaterThanOrEqual(
            sharded.distances[i * k + c - 1] as number,
          );
        }
      }
      const singleRecall = recallAgainstExact(single.indices, k);
      expect(recallAgainstExact(sharded.indices, k)).toBeGreaterThanOrEqual(singleRecall - 0.002);
    },
    THREADED_TEST_TIMEOUT,
  );
});

describe("SharedWorkers", () => {
  it("surfaces a thread that cannot start as an error instead of waiting for it", () => {
    const workers = new SharedWorkers(new URL("./no-such-worker.ts", import.meta.url), 1, () => ({}));
    expect(() => workers.runStep()).toThrow(/analysis worker thread failed: .*no-such-worker/s);
  });
});
