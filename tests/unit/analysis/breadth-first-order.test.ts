import { describe, expect, it } from "vitest";
import { breadthFirstOrder } from "~/lib/analysis/breadth-first-order";

/** Both directions of each undirected link. */
function directed(links: [number, number][]): { heads: Int32Array; tails: Int32Array } {
  return {
    heads: Int32Array.from(links.flatMap(([a, b]) => [a, b])),
    tails: Int32Array.from(links.flatMap(([a, b]) => [b, a])),
  };
}

describe("breadthFirstOrder", () => {
  it("visits each component breadth first, from its lowest id, so linked points end up adjacent", () => {
    // Two interleaved chains, 0-2-4-6-8 and 1-3-5-7-9, and an isolated point 10.
    const { heads, tails } = directed([
      [4, 6],
      [0, 2],
      [2, 4],
      [6, 8],
      [1, 3],
      [3, 5],
      [5, 7],
      [7, 9],
    ]);
    expect(Array.from(breadthFirstOrder(heads, tails, 11))).toEqual([0, 2, 4, 6, 8, 1, 3, 5, 7, 9, 10]);
  });

  it("takes each point's links in their given order", () => {
    const { heads, tails } = directed([
      [0, 3],
      [0, 1],
      [3, 2],
    ]);
    expect(Array.from(breadthFirstOrder(heads, tails, 4))).toEqual([0, 3, 1, 2]);
  });
});
