import { describe, expect, it } from "vitest";
import { AnalysisInputError, alignToReference, createPrng, procrustesAlign } from "~/lib/analysis";
import type { Tensor } from "~/lib/tensor";

function randomLayout(n: number, seed: number): Tensor<Float64Array> {
  const prng = createPrng(seed);
  return { data: new Float64Array(n * 2).map(() => prng.nextGaussian() * 5), dims: [n, 2] };
}

/** reference mapped by x ↦ s·x·R + t (row vectors), optionally mirrored first. */
function transformed(
  layout: Tensor<Float64Array>,
  angle: number,
  scale: number,
  mirror: boolean,
): Tensor<Float64Array> {
  const out = new Float64Array(layout.data.length);
  for (let i = 0; i < out.length / 2; i++) {
    const x = layout.data[2 * i] as number;
    const y = (mirror ? -1 : 1) * (layout.data[2 * i + 1] as number);
    out[2 * i] = scale * (x * Math.cos(angle) - y * Math.sin(angle)) + 3;
    out[2 * i + 1] = scale * (x * Math.sin(angle) + y * Math.cos(angle)) - 7;
  }
  return { data: out, dims: layout.dims };
}

describe("procrustesAlign", () => {
  const reference = randomLayout(50, 1);

  it.each([
    { mirror: false, angle: 1.1, scale: 0.25 },
    { mirror: true, angle: -2.5, scale: 3 },
  ])("undoes rotation, scale, translation (mirror: $mirror)", ({ mirror, angle, scale }) => {
    const result = procrustesAlign(reference, transformed(reference, angle, scale, mirror));
    expect(result.isReflection).toBe(mirror);
    expect(result.scale).toBeCloseTo(1 / scale, 10);
    expect(result.rmsd).toBeLessThan(1e-9);
    for (const [i, v] of result.aligned.data.entries()) expect(v).toBeCloseTo(reference.data[i] as number, 9);
  });

  it("keeps rotations proper when reflections are not allowed", () => {
    const result = procrustesAlign(reference, transformed(reference, 0.4, 1, true), {
      allowReflection: false,
    });
    expect(result.isReflection).toBe(false);
    const [a, b, c, d] = result.rotation as unknown as [number, number, number, number];
    expect(a * d - b * c).toBeCloseTo(1, 12);
    expect(result.rmsd).toBeGreaterThan(0.1);
  });

  it("aligns small multiples to a reference panel", () => {
    const panels = [transformed(reference, 2, 2, false), reference, transformed(reference, -1, 0.5, true)];
    const aligned = alignToReference(panels, 1);
    expect(Array.from(aligned[1]?.data ?? [])).toEqual(Array.from(reference.data));
    for (const panel of [aligned[0], aligned[2]]) {
      for (const [i, v] of (panel?.data ?? []).entries())
        expect(v).toBeCloseTo(reference.data[i] as number, 9);
    }
    expect(() => procrustesAlign(reference, randomLayout(49, 2))).toThrow(AnalysisInputError);
  });
});
