import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildCosineIndex, createPrng } from "~/lib/analysis";
import { encodeNpy } from "~/lib/codec";

// Debian's interpreter, which has numpy and scikit-learn (scripts/install-system-deps.sh).
const PYTHON = "/usr/bin/python3";
// scikit-learn's brute-force cosine neighbours of every row: the reference the exact scan must match.
const REFERENCE = `
import json, sys, numpy as np
from sklearn.neighbors import NearestNeighbors
x = np.load(sys.argv[1]).astype(np.float64)
k = int(sys.argv[2])
nn = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(x)
d, i = nn.kneighbors(x[: int(sys.argv[3])])
print(json.dumps({"indices": i.tolist(), "distances": d.tolist()}))
`;

/** n points in `clusters` Gaussian blobs of `dim` dimensions, [n, dim]. */
function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array {
  const prng = createPrng(seed);
  const centres = Array.from({ length: clusters }, () =>
    Float32Array.from({ length: dim }, () => 3 * prng.nextGaussian()),
  );
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const centre = centres[i % clusters] as Float32Array;
    for (let j = 0; j < dim; j++) data[i * dim + j] = (centre[j] as number) + prng.nextGaussian();
  }
  return data;
}

describe("buildCosineIndex", () => {
  const folder = mkdtempSync(path.join(tmpdir(), "lens-knn-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  // Starting Python with scikit-learn takes seconds on a loaded machine.
  it("exact search matches scikit-learn's brute-force cosine neighbours", { timeout: 60_000 }, () => {
    const n = 600;
    const dim = 24;
    const k = 10;
    const queries = 50;
    const data = clustered(n, dim, 6, 3);
    const file = path.join(folder, "x.npy");
    writeFileSync(file, encodeNpy({ dtype: "F32", shape: [n, dim], data }));
    const reference = JSON.parse(
      execFileSync(PYTHON, ["-c", REFERENCE, file, String(k), String(queries)], { encoding: "utf8" }),
    ) as { indices: number[][]; distances: number[][] };
    const index = buildCosineIndex({ data, dims: [n, dim] });
    expect(index.method).toBe("exact");
    for (let q = 0; q < queries; q++) {
      const answer = index.search(data.subarray(q * dim, (q + 1) * dim), k);
      const expectedDistances = reference.distances[q] as number[];
      answer.distances.forEach((distance, r) => {
        expect(distance).toBeCloseTo(expectedDistances[r] as number, 5);
      });
      // Ids agree except where two neighbours tie to float precision.
      const expectedIds = reference.indices[q] as number[];
      answer.rows.forEach((row, r) => {
        if (row !== expectedIds[r])
          expect(Math.abs((expectedDistances[r] as number) - (answer.distances[r] as number))).toBeLessThan(
            1e-5,
          );
      });
      expect(answer.rows[0]).toBe(q);
    }
  });

  it("leaves out excluded rows and caps k at what is left", () => {
    const data = clustered(20, 4, 2, 1);
    const index = buildCosineIndex({ data, dims: [20, 4] });
    const answer = index.search(data.subarray(0, 4), 25, new Set([0, 5]));
    expect(answer.rows.length).toBe(18);
    expect([...answer.rows]).not.toContain(0);
    expect([...answer.rows]).not.toContain(5);
    expect([...answer.distances]).toEqual([...answer.distances].sort((a, b) => a - b));
  });

  it("HNSW above the exact size keeps recall@10 ≥ 0.99 against the exact scan", { timeout: 60_000 }, () => {
    const n = 5000;
    const dim = 32;
    const k = 10;
    const data = clustered(n, dim, 12, 5);
    const exact = buildCosineIndex({ data, dims: [n, dim] });
    const hnsw = buildCosineIndex({ data, dims: [n, dim] }, { exactMaxValues: 1000 * dim });
    expect(exact.method).toBe("exact");
    expect(exact.buildStep(100)).toBe(true);
    // Searches stay exact while the index is built in slices.
    expect(hnsw.buildStep(1200)).toBe(false);
    expect(hnsw.method).toBe("exact");
    while (!hnsw.buildStep(1200));
    expect(hnsw.method).toBe("hnsw");
    const prng = createPrng(9);
    let found = 0;
    const queries = 300;
    for (let q = 0; q < queries; q++) {
      const row = prng.nextInt(n);
      const query = data.subarray(row * dim, (row + 1) * dim);
      const truth = new Set(exact.search(query, k).rows);
      const answer = hnsw.search(query, k);
      for (const id of answer.rows) if (truth.has(id)) found++;
      // Distances are cosine distances, whichever index answers.
      const first = answer.distances[0] as number;
      expect(first).toBeCloseTo(exact.search(query, 1).distances[0] as number, 4);
    }
    const recall = found / (queries * k);
    console.log(`HNSW recall@${k} on ${n} × ${dim}: ${recall.toFixed(4)}`);
    expect(recall).toBeGreaterThanOrEqual(0.99);
  });
});
