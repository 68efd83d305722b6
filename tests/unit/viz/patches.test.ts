import { describe, expect, it } from "vitest";
import { decodePatchPanel, rowsWithCode, selectedPatchesByImage } from "~/lib/viz/patches";
import { base64Coords } from "./base64-coords";

const panel = decodePatchPanel(
  {
    source: "depth:V",
    projectionId: "pp",
    images: [
      { imageId: "b", grid: [2, 2], start: 0, count: 4 },
      { imageId: "a", grid: [1, 2], start: 4, count: 2 },
    ],
    coords: base64Coords([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
    quality: null,
  },
  new Map([
    ["a", 0],
    ["b", 1],
  ]),
);

describe("patch panels", () => {
  it("links each patch to its image's point and normalises the layout", () => {
    expect(Array.from(panel.pointIndex)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(panel.coords[0]).toBeCloseTo(-0.95, 6);
    expect(panel.coords[11]).toBeCloseTo(0.95, 6);
  });

  it("maps selected patch points to patch indices per image", () => {
    const byImage = selectedPatchesByImage(panel.images, [5, 1, 3]);
    expect([...byImage.entries()].map(([id, set]) => [id, [...set]])).toEqual([
      ["b", [1, 3]],
      ["a", [1]],
    ]);
    expect(rowsWithCode(Uint16Array.from([0, 2, 2, 1]), 2)).toEqual([1, 2]);
  });

  it("refuses a coordinate count that does not match the patches", () => {
    expect(() =>
      decodePatchPanel(
        {
          source: "s",
          projectionId: "p",
          images: [{ imageId: "a", grid: [1, 1], start: 0, count: 1 }],
          coords: base64Coords([0, 0, 0, 0]),
          quality: null,
        },
        new Map(),
      ),
    ).toThrow(/2 coordinates for 1 patches/);
  });
});
