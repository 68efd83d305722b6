import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame } from "~/lib/viz/typed-frame";

describe("typed frames", () => {
  it("round-trips metadata and typed arrays, each aligned for a view in place", () => {
    const coords = Float32Array.from([1.5, -2, 3.25]);
    const index = Uint32Array.from([7, 0, 4_000_000_000]);
    const codes = Uint16Array.from([65535, 1]);
    const status = Uint8Array.from([0, 1, 2]);
    const frame = encodeFrame({ source: "fused", n: 3 }, { coords, index, codes, status });
    const { meta, arrays } = decodeFrame<{ source: string; n: number }>(frame.buffer);
    expect(meta).toEqual({ source: "fused", n: 3 });
    expect(arrays.coords).toBeInstanceOf(Float32Array);
    expect(Array.from(arrays.coords ?? [])).toEqual([1.5, -2, 3.25]);
    expect(Array.from(arrays.index ?? [])).toEqual([7, 0, 4_000_000_000]);
    expect(Array.from(arrays.codes ?? [])).toEqual([65535, 1]);
    expect(Array.from(arrays.status ?? [])).toEqual([0, 1, 2]);
    for (const array of Object.values(arrays)) expect(array.byteOffset % 8).toBe(0);
  });

  it("refuses truncated frames", () => {
    const frame = encodeFrame({}, { coords: new Float32Array(10) });
    expect(() => decodeFrame(frame.buffer.slice(0, 2))).toThrow(/empty/);
    expect(() => decodeFrame(frame.buffer.slice(0, 10))).toThrow(/header is truncated/);
    expect(() => decodeFrame(frame.buffer.slice(0, frame.byteLength - 8))).toThrow(/coords is truncated/);
  });
});
