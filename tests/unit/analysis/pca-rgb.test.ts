import { describe, expect, it } from "vitest";
import { createPrng, pcaRgbMaps } from "~/lib/analysis";
import type { Tensor } from "~/lib/tensor";

/** A [size, size, dim] grid: an "object" square in the middle on a background, with distinct textures. */
function gridWithObject(size: number, dim: number, seed: number): Tensor<Float32Array> {
  const prng = createPrng(seed);
  const data = new Float32Array(size * size * dim);
  const lo = size / 4;
  const hi = (3 * size) / 4;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const isObject = r >= lo && r < hi && c >= lo && c < hi;
      for (let j = 0; j < dim; j++) {
        const base = isObject
          ? j === 0
            ? 8
            : j === 1
              ? 3 * Math.sin(r)
              : 2 * Math.cos(c)
          : j === 0
            ? -8
            : 0;
        data[(r * size + c) * dim + j] = base + 0.3 * prng.nextGaussian();
      }
    }
  }
  return { data, dims: [size, size, dim] };
}

function isObjectPatch(size: number, p: number): boolean {
  const r = Math.floor(p / size);
  const c = p % size;
  return r >= size / 4 && r < (3 * size) / 4 && c >= size / 4 && c < (3 * size) / 4;
}

describe("pcaRgbMaps", () => {
  it("removes the background by the first component and colours the object", () => {
    const size = 12;
    const { maps, threshold } = pcaRgbMaps([gridWithObject(size, 8, 1)], { foreground: "above" });
    expect(threshold).toBe(0.5);
    const [map] = maps;
    expect(map?.rgba).toHaveLength(size * size * 4);
    const alpha = Array.from({ length: size * size }, (_, p) => map?.rgba[p * 4 + 3]);
    const objectSide = alpha.filter((a, p) => (a === 255) === isObjectPatch(size, p)).length;
    // The first component's sign is a convention, so the object is either all kept or all dropped.
    expect([size * size, 0]).toContain(objectSide);
    expect(map?.foregroundFraction).toBeGreaterThan(0);
  });

  it("keeps every patch without a threshold and spans the colour range", () => {
    const { maps } = pcaRgbMaps([gridWithObject(8, 6, 2)], { threshold: null });
    const rgba = maps[0]?.rgba as Uint8Array;
    for (let p = 0; p < 64; p++) expect(rgba[p * 4 + 3]).toBe(255);
    for (let c = 0; c < 3; c++) {
      const channel = Array.from({ length: 64 }, (_, p) => rgba[p * 4 + c] as number);
      expect(Math.min(...channel)).toBe(0);
      expect(Math.max(...channel)).toBe(255);
    }
  });

  it("gives identical images identical colours with a shared basis", () => {
    const grid = gridWithObject(8, 6, 3);
    const other = gridWithObject(8, 6, 4);
    const { maps, explainedVarianceRatio } = pcaRgbMaps([grid, other, grid], {
      shared: true,
      threshold: null,
    });
    expect(explainedVarianceRatio).toHaveLength(1);
    expect(Array.from(maps[0]?.rgba as Uint8Array)).toEqual(Array.from(maps[2]?.rgba as Uint8Array));
    const separate = pcaRgbMaps([grid, other], { threshold: null });
    expect(separate.explainedVarianceRatio).toHaveLength(2);
  });
});
