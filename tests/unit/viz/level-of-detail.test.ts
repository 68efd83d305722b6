import { describe, expect, it } from "vitest";
import { levelOfDetail } from "~/lib/viz/level-of-detail";

// A dense blob of `dense` points at the centre and `sparse` outliers spread along the edge.
function blobWithOutliers(dense: number, sparse: number): Float32Array {
  const coords = new Float32Array(2 * (dense + sparse));
  for (let i = 0; i < dense; i++) {
    coords[2 * i] = ((i % 100) / 100) * 0.05;
    coords[2 * i + 1] = (Math.floor(i / 100) / (dense / 100)) * 0.05;
  }
  for (let j = 0; j < sparse; j++) {
    coords[2 * (dense + j)] = -0.95 + (1.9 * j) / sparse;
    coords[2 * (dense + j) + 1] = 0.9;
  }
  return coords;
}

describe("level of detail", () => {
  it("draws every point when they fit the budget", () => {
    const coords = blobWithOutliers(1000, 10);
    expect(Array.from(levelOfDetail(coords, 5000))).toEqual(Array.from({ length: 1010 }, (_, i) => i));
  });

  it("thins dense cells and keeps every outlier within the budget", () => {
    const coords = blobWithOutliers(100_000, 200);
    const rows = levelOfDetail(coords, 10_000);
    expect(rows.length).toBeLessThanOrEqual(10_000);
    expect(rows.length).toBeGreaterThan(5_000);
    const outliers = Array.from(rows).filter((row) => row >= 100_000);
    expect(outliers.length).toBe(200);
    // Row order, no repeats.
    for (let i = 1; i < rows.length; i++) expect(rows[i]).toBeGreaterThan(rows[i - 1] as number);
  });

  it("draws more of a zoomed-in region, and nothing outside the view", () => {
    const coords = blobWithOutliers(100_000, 200);
    const zoomed = levelOfDetail(coords, 10_000, { minX: 0, maxX: 0.05, minY: 0, maxY: 0.05 });
    const full = levelOfDetail(coords, 10_000);
    const inBlob = Array.from(full).filter((row) => row < 100_000).length;
    expect(zoomed.length).toBeGreaterThan(inBlob);
    expect(Array.from(zoomed).every((row) => row < 100_000)).toBe(true);
  });
});
