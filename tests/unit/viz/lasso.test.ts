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

describe("lasso grid", () => {
  // The even–odd rule point by point, as the lasso computed it before its grid: the reference.
  function naive(coords: Float32Array, polygon: [number, number][]): number[] {
    const out: number[] = [];
    for (let row = 0; row < coords.length / 2; row++) {
      const x = coords[2 * row] as number;
      const y = coords[2 * row + 1] as number;
      let inside = false;
      for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
        const [xi, yi] = polygon[i] as [number, number];
        const [xj, yj] = polygon[j] as [number, number];
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
      if (inside) out.push(row);
    }
    return out;
  }
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  }

  it("selects exactly what the point-by-point rule selects, for loops of every shape", () => {
    const next = random(11);
    const coords = Float32Array.from({ length: 2 * 40_000 }, () => 2 * next() - 1);
    const loops: [number, number][][] = [
      // A hand-drawn loop: a wobbly circle of 200 vertices.
      Array.from({ length: 200 }, (_, i): [number, number] => {
        const angle = (2 * Math.PI * i) / 200;
        const radius = 0.6 + 0.2 * Math.sin(7 * angle) + 0.05 * next();
        return [radius * Math.cos(angle), radius * Math.sin(angle)];
      }),
      // A self-crossing loop (even–odd: the inner overlaps are outside), and a random scribble.
      [
        [-0.9, -0.9],
        [0.9, 0.9],
        [0.9, -0.9],
        [-0.9, 0.9],
      ],
      Array.from({ length: 30 }, (): [number, number] => [2 * next() - 1, 2 * next() - 1]),
      // A thin sliver, narrower than a grid cell.
      [
        [-0.9, 0],
        [0.9, 0.001],
        [0.9, 0.002],
      ],
    ];
    for (const loop of loops) {
      const selected = Array.from(pointsInPolygon(coords, loop));
      expect(selected).toEqual(naive(coords, loop));
      expect(selected.length).toBeGreaterThan(0);
    }
  });

  it("keeps points that sit on the grid's cell corners and on the loop's own vertices consistent", () => {
    // Points on an exact lattice line up with cell boundaries of the square's grid.
    const square: [number, number][] = [
      [0, 0],
      [256, 0],
      [256, 256],
      [0, 256],
    ];
    const lattice: number[] = [];
    for (let x = -2; x <= 258; x += 2) for (let y = -2; y <= 258; y += 2) lattice.push(x, y);
    const coords = Float32Array.from(lattice);
    expect(Array.from(pointsInPolygon(coords, square))).toEqual(naive(coords, square));
  });
});
