import { afterEach, describe, expect, it, vi } from "vitest";
import {
  base64OfTypedArray,
  bytesOfBase64,
  bytesOfFloat32,
  float32OfBase64,
  float32OfBytes,
} from "~/lib/codec/base64";

const values = new Float32Array([1.5, -2.25, Number.NaN, 3.4028234663852886e38, 1e-40]);
// Little-endian bytes, as Python's numpy.frombuffer(..., "<f4") reads them.
const expectedText = Buffer.from(values.buffer).toString("base64");

describe("base64 codec of typed arrays", () => {
  afterEach(() => vi.unstubAllGlobals());

  for (const where of ["node (Buffer)", "browser (atob/btoa)"] as const) {
    it(`round-trips floats and byte views at odd offsets in the ${where}`, () => {
      if (where === "browser (atob/btoa)") vi.stubGlobal("Buffer", undefined);
      const text = base64OfTypedArray(values);
      expect(text).toBe(expectedText);
      expect(Array.from(float32OfBase64(text))).toEqual(Array.from(values));
      const backing = new Uint8Array(9).map((_, i) => i * 29);
      const view = backing.subarray(1, 8);
      expect(Array.from(bytesOfBase64(base64OfTypedArray(view)))).toEqual(Array.from(view));
    });
  }

  it("copies blob bytes at any offset into aligned floats, and refuses a partial float", () => {
    const bytes = bytesOfFloat32(values);
    const shifted = new Uint8Array(bytes.byteLength + 1);
    shifted.set(bytes, 1);
    expect(Array.from(float32OfBytes(shifted.subarray(1)))).toEqual(Array.from(values));
    expect(() => float32OfBytes(new Uint8Array(6))).toThrow(/not a whole number of float32/);
  });
});
