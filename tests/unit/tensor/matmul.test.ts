import { describe, expect, it } from "vitest";
import {
  createTensor,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  type Tensor,
  TensorShapeError,
} from "~/lib/tensor";

function seededMatrix(rows: number, cols: number, seed: number): Tensor<Float64Array> {
  const data = new Float64Array(rows * cols).map((_, i) => Math.sin((i + 1) * 0.7 + seed * 3.1) * 2);
  return createTensor(data, [rows, cols]);
}

function naiveProduct(a: Tensor<Float64Array>, b: Tensor<Float64Array>): Float64Array {
  const [m, k] = a.dims as [number, number];
  const n = b.dims[1] as number;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (a.data[i * k + p] as number) * (b.data[p * n + j] as number);
      out[i * n + j] = sum;
    }
  }
  return out;
}

function transpose(t: Tensor<Float64Array>): Tensor<Float64Array> {
  const [rows, cols] = t.dims as [number, number];
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = t.data[i * cols + j] as number;
  return createTensor(out, [cols, rows]);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs((actual[i] as number) - (expected[i] as number))).toBeLessThan(tolerance);
  }
}

describe("matmul", () => {
  const a = seededMatrix(7, 5, 1); // [7, 5]
  const b = seededMatrix(5, 6, 2); // [5, 6]
  const expected = naiveProduct(a, b);

  it("computes A B", () => {
    const product = matmul(a, b);
    expect(product.dims).toEqual([7, 6]);
    expectClose(product.data, expected);
  });

  it("computes A Bᵀ, including the unblocked tail columns", () => {
    const product = matmulTransposeB(a, transpose(b));
    expect(product.dims).toEqual([7, 6]);
    expectClose(product.data, expected);
  });

  it("computes Aᵀ B", () => {
    const product = matmulTransposeA(transpose(a), b);
    expect(product.dims).toEqual([7, 6]);
    expectClose(product.data, expected);
  });

  it("keeps float32 storage but accumulates in float64", () => {
    const ones = createTensor(new Float32Array(1 << 16).fill(0.1), [1, 1 << 16]);
    const product = matmulTransposeB(ones, ones);
    expect(product.data).toBeInstanceOf(Float32Array);
    expect(product.data[0]).toBeCloseTo(Math.fround(0.1) ** 2 * (1 << 16), 2);
    const viaA = matmulTransposeA(
      createTensor(ones.data, [1 << 16, 1]),
      createTensor(ones.data, [1 << 16, 1]),
    );
    expect(Math.abs((viaA.data[0] as number) / (Math.fround(0.1) ** 2 * (1 << 16)) - 1)).toBeLessThan(1e-9);
  });

  it("rejects mismatched inner dimensions", () => {
    expect(() => matmul(a, a)).toThrow(TensorShapeError);
    expect(() => matmulTransposeB(a, b)).toThrow(/\[7, 5\]/);
    expect(() => matmulTransposeA(a, b)).toThrow(TensorShapeError);
  });
});
