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
import { base64Coords } from "./base64-coords";

const indexOfImage = new Map([
  ["a", 0],
  ["b", 1],
  ["c", 2],
]);

describe("panels", () => {
  it("decodes panels into one frame and links rows to points across panels", () => {
    const [first, second] = decodePanels(
      [
        {
          source: "depth:V",
          projectionId: "p1",
          imageIds: ["a", "b", "c"],
          coords: base64Coords([0, 0, 2, 0, 0, 2]),
          quality: null,
        },
        // Another row order, an image unknown to the point list, and a layout twice as wide.
        {
          source: "fused",
          projectionId: "p2",
          imageIds: ["c", "zz", "a"],
          coords: base64Coords([0, 4, 9, 9, 0, 0]),
          quality: { trustworthiness: 0.9, knnRecall: 0.5, k: 10 },
        },
      ],
      indexOfImage,
    );
    if (first === undefined || second === undefined) throw new Error("two panels expected");
    expect(Array.from(second.pointIndex)).toEqual([2, 0]);
    expect(Array.from(second.raw)).toEqual([0, 4, 0, 0]);
    // Shared extent x 0..2, y 0..4: "a" sits at the same place in both panels.
    expect(first.coords[0]).toBeCloseTo(second.coords[2] as number, 6);
    expect(first.coords[1]).toBeCloseTo(second.coords[3] as number, 6);
    expect(rowsOfPoints(second, new Set([0, 1]))).toEqual([1]);
    expect(rowsOfPoints(first, new Set([0, 1]))).toEqual([0, 1]);
    expect(pointsOfRows(second, [0, 1])).toEqual([2, 0]);
    expect(Array.from(valuesForRows(second, Uint16Array.from([7, 8, 9])))).toEqual([9, 7]);
    const clusters = pointClusters(second, 3, 2, 0);
    expect(clusters[1]).toBe(NO_CLUSTER);
    expect(new Set([clusters[0], clusters[2]])).toEqual(new Set([0, 1]));
    expect(describeQuality(second.quality)).toBe("trustworthiness 0.900 · 10-NN recall 0.500");
  });

  it("refuses coordinates that do not match the image count", () => {
    expect(() =>
      decodePanels(
        [
          {
            source: "s",
            projectionId: "p",
            imageIds: ["a"],
            coords: base64Coords([0, 0, 0, 0]),
            quality: null,
          },
        ],
        indexOfImage,
      ),
    ).toThrow(/2 coordinates for 1 images/);
  });

  it("anchors each cluster's name at the row nearest its centroid, leaving out clusters without rows", () => {
    const panel = {
      source: "fused",
      projectionId: "p",
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
