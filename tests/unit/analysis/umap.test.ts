import { describe, expect, it } from "vitest";
import { hnswNearestNeighbors, projectionQuality, umapProject } from "~/lib/analysis";
import { fuzzySimplicialSet } from "~/lib/analysis/fuzzy-graph";
import { createUmapGradientTerms } from "~/lib/analysis/umap-gradient-terms";
import { gaussianClusters } from "./fixtures";

describe("hnswNearestNeighbors", () => {
  it("finds nearly all exact neighbours, self first, distances ascending", () => {
    const { points } = gaussianClusters(5, 80, 24, { seed: 2 });
    const k = 10;
    const knn = hnswNearestNeighbors(points, { k });
    const n = 400;
    let found = 0;
    for (let i = 0; i < n; i++) {
      expect(knn.indices[i * k]).toBe(i);
      expect(knn.distances[i * k]).toBe(0);
      for (let c = 2; c < k; c++) {
        expect(knn.distances[i * k + c]).toBeGreaterThanOrEqual(knn.distances[i * k + c - 1] as number);
      }
      const exact = Array.from({ length: n }, (_, j) => j)
        .map((j) => {
          let sum = 0;
          for (let d = 0; d < 24; d++)
            sum += ((points.data[i * 24 + d] as number) - (points.data[j * 24 + d] as number)) ** 2;
          return { j, sum };
        })
        .sort((a, b) => a.sum - b.sum)
        .slice(0, k)
        .map(({ j }) => j);
      const approximate = new Set(knn.indices.subarray(i * k, (i + 1) * k));
      found += exact.filter((j) => approximate.has(j)).length;
    }
    expect(found / (n * k)).toBeGreaterThan(0.97);
  });
});

describe("createUmapGradientTerms", () => {
  it("matches the exact gradient factors within 1e-6 relative, inside and outside the table", () => {
    const [a, b] = [1.5769, 0.8951]; // umap-js' fit for min_dist 0.1
    const { attraction, repulsion } = createUmapGradientTerms(a, b);
    for (let x = 1e-8; x < 1e5; x *= 1.37) {
      const g = 1 / (1 + a * x ** b);
      expect(Math.abs(attraction(x) / ((1 - g) / x) - 1)).toBeLessThan(1e-6);
      expect(Math.abs(repulsion(x) / (g / (0.001 + x)) - 1)).toBeLessThan(1e-6);
    }
  });
});

describe("fuzzySimplicialSet", () => {
  it("is symmetric with weights in (0, 1]", () => {
    const { points } = gaussianClusters(3, 40, 8, { seed: 4 });
    const graph = fuzzySimplicialSet(hnswNearestNeighbors(points, { k: 8 }));
    const edges = new Map<string, number>();
    for (const [e, h] of graph.heads.entries())
      edges.set(`${h}-${graph.tails[e]}`, graph.weights[e] as number);
    expect(edges.size).toBe(graph.heads.length); // no duplicate directed edge
    for (const [key, w] of edges) {
      const [h, t] = key.split("-");
      expect(edges.get(`${t}-${h}`)).toBe(w);
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(1);
    }
  });
});

describe("umapProject", () => {
  const { points, labels } = gaussianClusters(4, 100, 32, { seed: 6 });

  // Three layouts and a score: over 5 s on a loaded 2-core machine.
  it("separates clusters, keeps neighbourhoods and is reproducible with its seed", {
    timeout: 30_000,
  }, () => {
    const progress: number[] = [];
    const first = umapProject(points, { seed: 3, epochs: 150, onProgress: (f) => progress.push(f) });
    const again = umapProject(points, { seed: 3, epochs: 150 });
    expect(first.embedding.dims).toEqual([400, 2]);
    expect(Array.from(first.embedding.data)).toEqual(Array.from(again.embedding.data));
    expect(first.params).toMatchObject({ nNeighbors: 15, minDist: 0.1, epochs: 150, seed: 3 });
    expect(progress.at(-1)).toBeCloseTo(1, 12);
    const quality = projectionQuality(points, first.embedding, { k: 10 });
    expect(quality.trustworthiness).toBeGreaterThan(0.9);
    // Nearest 2-D neighbour shares the cluster for nearly every point.
    let sameCluster = 0;
    const xy = first.embedding.data;
    for (let i = 0; i < 400; i++) {
      let best = -1;
      let bestDistance = Number.POSITIVE_INFINITY;
      for (let j = 0; j < 400; j++) {
        if (j === i) continue;
        const d =
          ((xy[2 * i] as number) - (xy[2 * j] as number)) ** 2 +
          ((xy[2 * i + 1] as number) - (xy[2 * j + 1] as number)) ** 2;
        if (d < bestDistance) {
          bestDistance = d;
          best = j;
        }
      }
      if (labels[best] === labels[i]) sameCluster++;
    }
    expect(sameCluster / 400).toBeGreaterThan(0.98);
    const other = umapProject(points, { seed: 4, epochs: 150 });
    expect(Array.from(other.embedding.data)).not.toEqual(Array.from(first.embedding.data));
  });

  it("searches neighbours in a principal subspace when asked to", () => {
    const { embedding, params } = umapProject(points, { seed: 2, epochs: 100, knnDims: 8 });
    expect(params.knnDims).toBe(8);
    expect(projectionQuality(points, embedding, { k: 10 }).trustworthiness).toBeGreaterThan(0.9);
  });

  it("estimates quality from a seeded sample of queries", () => {
    const layout = umapProject(points, { seed: 1, epochs: 100 }).embedding;
    const full = projectionQuality(points, layout, { k: 10 });
    const sampled = projectionQuality(points, layout, { k: 10, sampleSize: 150, seed: 2 });
    expect(sampled.queries).toBe(150);
    expect(Math.abs(sampled.trustworthiness - full.trustworthiness)).toBeLessThan(0.02);
    expect(Math.abs(sampled.knnRecall - full.knnRecall)).toBeLessThan(0.08);
  });
});
