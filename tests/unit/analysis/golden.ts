import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import type { Tensor } from "~/lib/tensor";

// Reference outputs from tools/analysis-reference/make_golden.py (NumPy + scikit-learn).
export const GOLDEN_DIR = path.resolve("tests/fixtures/analysis-golden");

export interface GoldenMatrix {
  shape: number[];
  data: number[];
}

export function readGolden<T>(name: string, folder = GOLDEN_DIR): T {
  return JSON.parse(readFileSync(path.join(folder, name), "utf8")) as T;
}

export function tensorOf(matrix: GoldenMatrix): Tensor<Float64Array> {
  return { data: Float64Array.from(matrix.data), dims: matrix.shape };
}

/** Normwise relative agreement: max |a − b| ≤ tolerance · max |b| (entries near zero make entrywise ratios meaningless). */
export function expectRelativelyClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance = 1e-6,
): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i] as number));
    error = Math.max(error, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  expect(error).toBeLessThanOrEqual(tolerance * scale);
}
