import { describe, expect, it } from "vitest";
import { AnalysisInputError, createPrng, fitPca, transformPca } from "~/lib/analysis";
import { tridiagonalEigen } from "~/lib/analysis/tridiagonal-eigen";

describe("tridiagonalEigen", () => {
  it("diagonalises a symmetric tridiagonal matrix", () => {
    const diagonal = Float64Array.from([4, -1, 2, 7, 0.5]);
    const off = Float64Array.from([1, 0.3, -2, 1e-3]);
    const { values, vectors } = tridiagonalEigen(diagonal, off);
    const n = 5;
    for (let c = 0; c < n; c++) {
      if (c > 0) expect(values[c]).toBeGreaterThanOrEqual(values[c - 1] as number);
      for (let i = 0; i < n; i++) {
        // (T v)_i = off[i−1] v_{i−1} + d_i v_i + off[i] v_{i+1}
        const v = (row: number) => (row >= 0 && row < n ? (vectors[row * n + c] as number) : 0);
        const tv = (off[i - 1] ?? 0) * v(i - 1) + (diagonal[i] as number) * v(i) + (off[i] ?? 0) * v(i + 1);
        expect(tv).toBeCloseTo((values[c] as number) * v(i), 12);
      }
    }
    expect(values.reduce((a, b) => a + b)).toBeCloseTo(
      diagonal.reduce((a, b) => a + b),
      12,
    );
  });
});

describe("fitPca", () => {
  it("recovers a known axis, orders by variance and follows the sign convention", () => {
    const prng = createPrng(5);
    const n = 400;
    const data = new Float64Array(n * 3); // [n, 3]: variance 9 along (1, −1, 0)/√2, 1 along z, ~0 elsewhere
    for (let i = 0; i < n; i++) {
      const t = 3 * prng.nextGaussian();
      data.set([t / Math.SQRT2 + 10, -t / Math.SQRT2, prng.nextGaussian()], i * 3);
    }
    const model = fitPca({ data, dims: [n, 3] }, { components: 2 });
    const [a, b, c] = model.components.data as unknown as [number, number, number];
    expect(Math.abs(a)).toBeCloseTo(Math.SQRT1_2, 1);
    expect(Math.abs(a)).toBeCloseTo(Math.abs(b), 10);
    expect(Math.abs(c)).toBeLessThan(0.1);
    // The largest-magnitude loading is positive.
    const first = Array.from(model.components.data.subarray(0, 3));
    const largest = first.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best));
    expect(largest).toBeGreaterThan(0);
    expect(model.explainedVariance[0]).toBeGreaterThan(model.explainedVariance[1] as number);
    expect(model.explainedVarianceRatio[0]).toBeGreaterThan(0.85);
  });

  it("handles rank-deficient data: zero variance beyond the rank, orthonormal components", () => {
    // 6 points on a line in 5-D: rank 1.
    const data = new Float64Array(30);
    for (let i = 0; i < 6; i++) data.set([i, 2 * i, -i, 0, 3], i * 5);
    const model = fitPca({ data, dims: [6, 5] }, { components: 3 });
    expect(model.explainedVarianceRatio[0]).toBeCloseTo(1, 12);
    expect(model.explainedVariance[1]).toBeCloseTo(0, 10);
    const rows = [0, 1, 2].map((r) => model.components.data.subarray(r * 5, r * 5 + 5));
    for (let p = 0; p < 3; p++) {
      for (let q = 0; q < 3; q++) {
        const dot = (rows[p] as Float64Array).reduce(
          (s, v, j) => s + v * ((rows[q] as Float64Array)[j] as number),
          0,
        );
        expect(dot).toBeCloseTo(p === q ? 1 : 0, 10);
      }
    }
    const scores = transformPca(model, { data, dims: [6, 5] });
    expect(scores.dims).toEqual([6, 3]);
  });

  it("is deterministic and reports progress", () => {
    const prng = createPrng(2);
    const x = { data: new Float32Array(50 * 20).map(() => prng.nextGaussian()), dims: [50, 20] };
    const progress: number[] = [];
    const a = fitPca(x, { components: 4, onProgress: (f) => progress.push(f) });
    const b = fitPca(x, { components: 4 });
    expect(Array.from(a.components.data)).toEqual(Array.from(b.components.data));
    expect(progress.at(-1)).toBe(1);
  });

  it("rejects impossible component counts", () => {
    expect(() => fitPca({ data: new Float64Array(12), dims: [4, 3] }, { components: 4 })).toThrow(
      AnalysisInputError,
    );
  });
});
