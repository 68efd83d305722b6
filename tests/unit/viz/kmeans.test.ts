import { describe, expect, it } from "vitest";
import { createPrng } from "~/lib/analysis/prng";
import { kmeans2d } from "~/lib/viz/kmeans";

describe("kmeans2d", () => {
  it("separates well-apart blobs, the same way for the same seed", () => {
    const prng = createPrng(1);
    const centres = [
      [0, 0],
      [10, 0],
      [0, 10],
    ];
    const coords = new Float32Array(300 * 2);
    for (let i = 0; i < 300; i++) {
      const [cx = 0, cy = 0] = centres[i % 3] ?? [];
      coords[2 * i] = cx + prng.nextGaussian() * 0.5;
      coords[2 * i + 1] = cy + prng.nextGaussian() * 0.5;
    }
    const labels = kmeans2d(coords, 3, 7);
    for (let i = 3; i < 300; i++) expect(labels[i]).toBe(labels[i % 3]);
    expect(new Set([labels[0], labels[1], labels[2]]).size).toBe(3);
    expect(Array.from(kmeans2d(coords, 3, 7))).toEqual(Array.from(labels));
    expect(Array.from(kmeans2d(new Float32Array(0), 3, 7))).toEqual([]);
  });
});
