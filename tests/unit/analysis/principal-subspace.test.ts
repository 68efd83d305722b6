import { describe, expect, it } from "vitest";
import { createPrng } from "~/lib/analysis";
import { projectToPrincipalSubspace } from "~/lib/analysis/principal-subspace";

describe("projectToPrincipalSubspace", () => {
  it("keeps pairwise distances of data that lives in a subspace of that size", () => {
    const prng = createPrng(4);
    const n = 60;
    const dim = 12;
    const basis = new Float64Array(3 * dim).map(() => prng.nextGaussian()); // 3 directions in 12-D
    const data = new Float64Array(n * dim); // [n, dim] rank 3 around an offset
    for (let i = 0; i < n; i++) {
      const weights = [prng.nextGaussian() * 5, prng.nextGaussian() * 2, prng.nextGaussian()];
      for (let j = 0; j < dim; j++) {
        data[i * dim + j] = 7 + weights.reduce((sum, w, r) => sum + w * (basis[r * dim + j] as number), 0);
      }
    }
    const projected = projectToPrincipalSubspace({ data, dims: [n, dim] }, 3, createPrng(1));
    expect(projected.dims).toEqual([n, 3]);
    const distance = (values: ArrayLike<number>, width: number, a: number, b: number) => {
      let sum = 0;
      for (let j = 0; j < width; j++)
        sum += ((values[a * width + j] as number) - (values[b * width + j] as number)) ** 2;
      return Math.sqrt(sum);
    };
    for (const [a, b] of [
      [0, 1],
      [5, 40],
      [17, 59],
    ] as const) {
      expect(distance(projected.data, 3, a, b)).toBeCloseTo(distance(data, dim, a, b), 3);
    }
  });

  it("finds the subspace from a seeded sample of the rows past 10,000 rows", () => {
    const prng = createPrng(9);
    const n = 12_000;
    const dim = 10;
    const basis = new Float64Array(2 * dim).map(() => prng.nextGaussian()); // 2 strong directions in 10-D
    const data = new Float32Array(n * dim); // [n, dim] rank 2 plus small noise
    for (let i = 0; i < n; i++) {
      const [u, v] = [prng.nextGaussian() * 6, prng.nextGaussian() * 3];
      for (let j = 0; j < dim; j++) {
        data[i * dim + j] =
          u * (basis[j] as number) + v * (basis[dim + j] as number) + 0.01 * prng.nextGaussian();
      }
    }
    const projected = projectToPrincipalSubspace({ data, dims: [n, dim] }, 2, createPrng(1));
    // Every row keeps (nearly) all of its distance from the mean: nothing of the planted plane is lost.
    let kept = 0;
    let total = 0;
    const mean = new Float64Array(dim);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (data[i * dim + j] as number) / n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dim; j++) total += ((data[i * dim + j] as number) - (mean[j] as number)) ** 2;
      kept += (projected.data[2 * i] as number) ** 2 + (projected.data[2 * i + 1] as number) ** 2;
    }
    expect(kept / total).toBeGreaterThan(0.9999);
    expect(kept / total).toBeLessThan(1 + 1e-6);
  });
});
