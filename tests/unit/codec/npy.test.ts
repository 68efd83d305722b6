import { describe, expect, it } from "vitest";
import { type DtypedArray, decodeNpy, encodeNpy, NpyError } from "~/lib/codec";
import { fp32ToFp16 } from "~/lib/tensor";

function headerOf(bytes: Uint8Array): string {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  return new TextDecoder("latin1").decode(bytes.subarray(10, 10 + length));
}

describe("npy", () => {
  it("writes a v1.0 header numpy understands, data 64-byte aligned", () => {
    const bytes = encodeNpy({ dtype: "F32", shape: [2, 3], data: new Float32Array(6) });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const header = headerOf(bytes);
    expect(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")).toBe(true);
    expect(header.endsWith("\n")).toBe(true);
    expect((10 + header.length) % 64).toBe(0);
    expect(headerOf(encodeNpy({ dtype: "F64", shape: [4], data: new Float64Array(4) }))).toContain("(4,)");
    expect(headerOf(encodeNpy({ dtype: "I64", shape: [], data: new BigInt64Array(1) }))).toContain(
      "'shape': ()",
    );
  });

  it("round-trips each dtype", () => {
    const arrays: DtypedArray[] = [
      { dtype: "F16", shape: [3], data: fp32ToFp16([1, -0.5, 2048]) },
      { dtype: "F32", shape: [2, 2], data: Float32Array.from([1.5, 2, -3, 4]) },
      { dtype: "F64", shape: [1, 1, 2], data: Float64Array.from([Math.PI, 1e-300]) },
      { dtype: "I64", shape: [2], data: BigInt64Array.from([-5n, 2n ** 60n]) },
      { dtype: "I32", shape: [0], data: new Int32Array(0) },
      { dtype: "U8", shape: [2], data: Uint8Array.from([0, 255]) },
    ];
    for (const array of arrays) {
      const decoded = decodeNpy(encodeNpy(array));
      expect(decoded.dtype).toBe(array.dtype);
      expect(decoded.shape).toEqual(array.shape);
      expect(Array.from(decoded.data as ArrayLike<number | bigint>)).toEqual(
        Array.from(array.data as ArrayLike<number | bigint>),
      );
    }
  });

  it("rejects what it cannot read", () => {
    expect(() => decodeNpy(new Uint8Array(20))).toThrow(NpyError);
    const valid = encodeNpy({ dtype: "F32", shape: [2], data: new Float32Array(2) });
    expect(() => decodeNpy(valid.subarray(0, valid.length - 1))).toThrow(/data bytes/);
    const bigEndian = valid.slice();
    bigEndian.set(new TextEncoder().encode("'>f4'"), 10 + "{'descr': ".length);
    expect(() => decodeNpy(bigEndian)).toThrow(/unsupported .npy dtype '>f4'/);
    const fortran = valid.slice();
    fortran.set(new TextEncoder().encode("True, "), 10 + "{'descr': '<f4', 'fortran_order': ".length);
    expect(() => decodeNpy(fortran)).toThrow(/Fortran/);
    expect(() => encodeNpy({ dtype: "F32", shape: [3], data: new Float32Array(2) })).toThrow(NpyError);
  });
});
