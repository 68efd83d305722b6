import { describe, expect, it } from "vitest";
import { decodeCoords, normalizeCoords, sharedExtent } from "~/lib/viz/coords";

describe("coordinates", () => {
  it("decodes base64 little-endian float32 pairs exactly as Node's Buffer encodes them", () => {
    const values = Float32Array.from([1.5, -2.25, 3e-7, 1e6]);
    const base64 = Buffer.from(values.buffer).toString("base64");
    expect(Array.from(decodeCoords(base64))).toEqual(Array.from(values));
    expect(() => decodeCoords(Buffer.from([1, 2, 3, 4]).toString("base64"))).toThrow(/n × 2/);
  });

  it("puts aligned panels in one extent with one scale for both axes", () => {
    const a = Float32Array.from([0, 0, 10, 2]);
    const b = Float32Array.from([5, -3, 6, 1, Number.NaN, 0]);
    const extent = sharedExtent([a, b]);
    expect(extent).toEqual({ minX: 0, maxX: 10, minY: -3, maxY: 2 });
    const out = normalizeCoords(a, extent);
    // Span 10 in x maps to [-0.95, 0.95]; y uses the same scale around its own centre (-0.5).
    expect(out[0]).toBeCloseTo(-0.95, 6);
    expect(out[2]).toBeCloseTo(0.95, 6);
    expect(out[1]).toBeCloseTo(0.5 * 0.19, 6);
    expect(out[3]).toBeCloseTo(2.5 * 0.19, 6);
    expect(sharedExtent([])).toEqual({ minX: -1, maxX: 1, minY: -1, maxY: 1 });
  });
});
