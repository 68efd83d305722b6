import { describe, expect, it } from "vitest";
import {
  centerColumns,
  createTensor,
  l2NormalizeRows,
  meanPoolTokens,
  rowOf,
  selectRows,
  sizeOfDims,
  TensorShapeError,
  toFloat32,
  toFloat64,
} from "~/lib/tensor";

describe("tensor helpers", () => {
  it("validates dims against the data size", () => {
    expect(sizeOfDims([2, 3, 4])).toBe(24);
    expect(sizeOfDims([])).toBe(1);
    expect(() => createTensor(new Float32Array(5), [2, 3])).toThrow(TensorShapeError);
    expect(() => sizeOfDims([2, -1])).toThrow(/invalid dimension/);
    expect(createTensor(new Float32Array(6), [2, 3]).dims).toEqual([2, 3]);
  });

  it("views and selects rows", () => {
    const t = createTensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]); // [3, 2]
    expect(Array.from(rowOf(t, 1))).toEqual([3, 4]);
    expect(() => rowOf(t, 3)).toThrow(TensorShapeError);
    const picked = selectRows(t, [2, 0]);
    expect(picked.dims).toEqual([2, 2]);
    expect(Array.from(picked.data)).toEqual([5, 6, 1, 2]);
  });

  it("mean-pools tokens for one image and for a batch", () => {
    const grid = createTensor(Float64Array.from([1, 2, 3, 4, 5, 9]), [3, 2]); // [tokens, dim]
    expect(Array.from(meanPoolTokens(grid).data)).toEqual([3, 5]);
    const batch = createTensor(Float64Array.from([1, 1, 3, 3, 0, 2, 4, 6]), [2, 2, 2]); // [batch, tokens, dim]
    const pooled = meanPoolTokens(batch);
    expect(pooled.dims).toEqual([2, 2]);
    expect(Array.from(pooled.data)).toEqual([2, 2, 2, 4]);
  });

  it("L2-normalises rows and leaves zero rows at zero", () => {
    const t = createTensor(Float32Array.from([3, 4, 0, 0]), [2, 2]);
    const { normalized, norms } = l2NormalizeRows(t);
    expect(Array.from(normalized.data)).toEqual([Math.fround(0.6), Math.fround(0.8), 0, 0]);
    expect(Array.from(norms)).toEqual([5, 0]);
  });

  it("centres columns in float64", () => {
    const centred = centerColumns(createTensor(Float32Array.from([1, 10, 3, 20]), [2, 2]));
    expect(Array.from(centred.data)).toEqual([-1, -5, 1, 5]);
  });

  it("converts between float types, decoding fp16", () => {
    const half = createTensor(Uint16Array.from([0x3c00, 0xc000]), [2]);
    expect(Array.from(toFloat32(half).data)).toEqual([1, -2]);
    expect(toFloat64(half).data).toBeInstanceOf(Float64Array);
    expect(Array.from(toFloat64(half).data)).toEqual([1, -2]);
  });
});
