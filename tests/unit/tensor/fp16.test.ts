import { describe, expect, it } from "vitest";
import { fp16ToFp32, fp32ToFp16, fromHalfBits, toHalfBits } from "~/lib/tensor";

describe("fp16", () => {
  it("encodes known values bit-exactly", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite half
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -24 * 1023, 0x03ff], // largest subnormal
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
      [1e6, 0x7c00], // overflow
      [1e-9, 0x0000], // underflow
    ];
    for (const [value, bits] of cases) expect(toHalfBits(value), `${value}`).toBe(bits);
  });

  it("rounds to nearest, ties to even", () => {
    const ulp = 2 ** -10; // spacing of halves in [1, 2)
    expect(toHalfBits(1 + ulp / 2)).toBe(0x3c00); // tie → even (down)
    expect(toHalfBits(1 + ulp * 1.5)).toBe(0x3c02); // tie → even (up)
    expect(toHalfBits(1 + ulp * 0.51)).toBe(0x3c01);
    expect(toHalfBits(65520)).toBe(0x7c00); // halfway past the largest finite rounds to inf
    expect(toHalfBits(65519)).toBe(0x7bff);
    expect(toHalfBits(2 ** -25)).toBe(0x0000); // subnormal tie → even zero
    expect(toHalfBits(2 ** -25 * 1.01)).toBe(0x0001);
    expect(toHalfBits(2 ** -24 * 2.5)).toBe(0x0002); // subnormal tie → even
    expect(toHalfBits(2 ** -24 * 3.5)).toBe(0x0004);
  });

  it("keeps NaN a NaN both ways", () => {
    const half = toHalfBits(Number.NaN);
    expect(half & 0x7c00).toBe(0x7c00);
    expect(half & 0x3ff).not.toBe(0);
    expect(fromHalfBits(half)).toBeNaN();
  });

  it("round-trips all 63,488 finite halves exactly", () => {
    const halves = new Uint16Array(0x10000).map((_, i) => i);
    const values = fp16ToFp32(halves);
    const back = fp32ToFp16(values);
    for (let half = 0; half < 0x10000; half++) {
      if ((half & 0x7c00) === 0x7c00 && (half & 0x3ff) !== 0) continue; // NaN payloads are not preserved
      if (back[half] !== half)
        throw new Error(`half 0x${half.toString(16)} came back as 0x${back[half]?.toString(16)}`);
    }
    expect(values[0x3c00]).toBe(1);
    expect(values[0x0001]).toBe(2 ** -24);
  });

  it("rounds random float32 values to the nearest half", () => {
    const values = new Float32Array(2000).map((_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 10) - 6));
    const decoded = fp16ToFp32(fp32ToFp16(values));
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as number;
      const rounded = decoded[i] as number;
      // The relative error of a normal half is at most 2^-11; subnormals have absolute error ≤ 2^-25.
      expect(Math.abs(rounded - value)).toBeLessThanOrEqual(Math.max(Math.abs(value) * 2 ** -11, 2 ** -25));
    }
  });
});
