import { describe, expect, it } from "vitest";
import { createPrng } from "~/lib/analysis";
import { localityOrder } from "~/lib/analysis/locality-order";
import { gaussianClusters } from "./fixtures";

/** Share of consecutive rows in `order` from the same cluster. */
function sameClusterRun(order: Int32Array, labels: Uint16Array): number {
  let same = 0;
  for (let r = 1; r < order.length; r++)
    if (labels[order[r] as number] === labels[order[r - 1] as number]) same++;
  return same / (order.length - 1);
}

describe("localityOrder", () => {
  it("is a permutation that keeps clusters together (rows interleave them)", () => {
    const { points, labels } = gaussianClusters(8, 250, 24, { seed: 3 });
    const order = localityOrder(points.data, 24);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    const rowOrder = Int32Array.from({ length: 2000 }, (_, i) => i);
    expect(sameClusterRun(rowOrder, labels)).toBe(0);
    expect(sameClusterRun(order, labels)).toBeGreaterThan(0.9);
  });

  it("orders by the widest coordinates, wherever they are", () => {
    // 30 near-constant columns first, the clusters in the last 4.
    const { points, labels } = gaussianClusters(8, 250, 4, { seed: 4 });
    const prng = createPrng(5);
    const dim = 34;
    const rows = new Float32Array(2000 * dim).map(() => prng.nextGaussian() * 1e-3);
    for (let i = 0; i < 2000; i++) rows.set(points.data.subarray(i * 4, i * 4 + 4), i * dim + 30);
    expect(sameClusterRun(localityOrder(rows, dim), labels)).toBeGreaterThan(0.9);
  });
});
