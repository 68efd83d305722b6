import { describe, expect, it } from "vitest";
import { pointsInPolygon } from "~/lib/viz/lasso";

describe("lasso over typed coordinates", () => {
  it("selects the rows inside a concave polygon", () => {
    // An L shape: the unit square without its top-right quarter.
    const polygon: [number, number][] = [
      [0, 0],
      [1, 0],
      [1, 0.5],
      [0.5, 0.5],
      [0.5, 1],
      [0, 1],
    ];
    const coords = Float32Array.from([0.25, 0.25, 0.75, 0.75, 0.75, 0.25, 0.25, 0.75, 2, 2, -0.1, 0.5]);
    expect(Array.from(pointsInPolygon(coords, polygon))).toEqual([0, 2, 3]);
  });

  it("selects nothing with fewer than three vertices", () => {
    expect(
      pointsInPolygon(Float32Array.from([0, 0]), [
        [0, 0],
        [1, 1],
      ]).length,
    ).toBe(0);
  });
});
