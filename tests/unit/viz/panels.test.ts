import { describe, expect, it } from "vitest";
import { NO_CLUSTER } from "~/lib/viz/colour-by";
import {
  clusterAnchors,
  decodePanels,
  describeQuality,
  pointClusters,
  pointsOfRows,
  rowsOfPoints,
  valuesForRows,
} from "~/lib/viz/panels";
import { PointSet } from "~/lib/viz/point-set";

// Three points in the run's point table; index 7 is a point the table does not have.
const POINTS = 3;
const frame = (
  source: string,
  projectionId: string,
  pointIndex: number[],
  coords: number[],
  quality = null as null | { trustworthiness: number; knnRecall: number; k: number },
) => ({
  meta: {
    source,
    projectionId,
    runId: projectionId === "p2" ? "other" : "this",
    runName: "other run",
    quality,
  },
  coords: Float32Array.from(coords),
  pointIndex: Uint32Array.from(pointIndex),
});

describe("panels", () => {
  it("decodes panels into one frame and links rows to points across panels", () => {
    const [first, second] = decodePanels(
      [
        frame("depth:V", "p1", [0, 1, 2], [0, 0, 2, 0, 0, 2]),
        // Another row order, a point unknown to the point table, and a layout twice as wide.
        frame("fused", "p2", [2, 7, 0], [0, 4, 9, 9, 0, 0], { trustworthiness: 0.9, knnRecall: 0.5, k: 10 }),
      ],
      POINTS,
      "this",
    );
    if (first === undefined || second === undefined) throw new Error("two panels expected");
    // A panel of another run of the dataset is named with its run.
    expect([first.title, second.title]).toEqual(["depth:V", "other run · fused"]);
    expect(Array.from(second.pointIndex)).toEqual([2, 0]);
    expect(Array.from(second.raw)).toEqual([0, 4, 0, 0]);
    // Shared extent x 0..2, y 0..4: "a" sits at the same place in both panels.
    expect(first.coords[0]).toBeCloseTo(second.coords[2] as number, 6);
    expect(first.coords[1]).toBeCloseTo(second.coords[3] as number, 6);
    expect(Array.from(rowsOfPoints(second, new Set([0, 1])))).toEqual([1]);
    expect(Array.from(rowsOfPoints(first, PointSet.of([1, 0], POINTS)))).toEqual([0, 1]);
    expect(Array.from(pointsOfRows(second, [0, 1]))).toEqual([2, 0]);
    expect(Array.from(valuesForRows(second, Uint16Array.from([7, 8, 9])))).toEqual([9, 7]);
    const clusters = pointClusters(second, 3, 2, 0);
    expect(clusters[1]).toBe(NO_CLUSTER);
    expect(new Set([clusters[0], clusters[2]])).toEqual(new Set([0, 1]));
    expect(describeQuality(second.quality)).toBe("trustworthiness 0.900 · 10-NN recall 0.500");
  });

  it("refuses coordinates that do not match the image count", () => {
    expect(() => decodePanels([frame("s", "p", [0], [0, 0, 0, 0])], POINTS)).toThrow(
      /2 coordinates for 1 points/,
    );
  });

  it("anchors each cluster's name at the row nearest its centroid, leaving out clusters without rows", () => {
    const panel = {
      source: "fused",
      projectionId: "p",
      title: "fused",
      quality: null,
      raw: new Float32Array(0),
      // Rows 0–2 form cluster 0 around (0, 0); rows 3–4 cluster 1 around (1, 1).
      coords: Float32Array.from([-0.2, 0, 0.05, 0.01, 0.2, 0, 0.9, 1, 1.2, 1]),
      pointIndex: Uint32Array.from([4, 3, 2, 1, 0]),
    };
    const clusters = Uint16Array.from([1, 1, 0, 0, 0]);
    expect(clusterAnchors(panel, clusters, 3)).toEqual([
      { cluster: 0, row: 1 },
      { cluster: 1, row: 3 },
    ]);
  });
});
