import { describe, expect, it } from "vitest";
import { categorize } from "~/lib/viz/categories";
import { explorerCsv, explorerFigure } from "~/lib/viz/explorer-exports";
import { decodePanels } from "~/lib/viz/panels";
import { base64Coords } from "./base64-coords";

const points = [
  { imageId: "a", fileName: "a.png", caption: "one, two" },
  { imageId: "b", fileName: "b.png", caption: null },
];
const panels = decodePanels(
  [
    {
      source: "depth:V",
      projectionId: "p1",
      imageIds: ["a", "b"],
      coords: base64Coords([1, 2, 3, 4]),
      quality: null,
    },
    {
      source: "fused",
      projectionId: "p2",
      imageIds: ["b", "a"],
      coords: base64Coords([5, 6, 7, 8]),
      quality: null,
    },
  ],
  new Map([
    ["a", 0],
    ["b", 1],
  ]),
);
const categories = categorize(["red", "blue"]);

describe("explorer exports", () => {
  it("writes one CSV row per panel and point with the computed coordinates", () => {
    const csv = explorerCsv({ panels, points, categories, selected: new Set([1]) });
    expect(csv.split("\r\n")).toEqual([
      "source,projection_id,image_id,file_name,x,y,colour,selected,caption",
      'depth:V,p1,a,a.png,1,2,red,false,"one, two"',
      "depth:V,p1,b,b.png,3,4,blue,true,",
      "fused,p2,b,b.png,5,6,blue,true,",
      'fused,p2,a,a.png,7,8,red,false,"one, two"',
      "",
    ]);
  });

  it("highlights the selected point in every panel at its own row", () => {
    const spec = explorerFigure({
      title: "t",
      subtitle: "s",
      panels,
      categories,
      legendTitle: "l",
      selected: new Set([0]),
    });
    expect(spec.panels.map((p) => [...(p.selected ?? [])])).toEqual([[0], [1]]);
    // Legend order is by count, then name: blue is 0, red is 1.
    expect(spec.panels.map((p) => Array.from(p.codes))).toEqual([
      [1, 0],
      [0, 1],
    ]);
    const none = explorerFigure({
      title: "t",
      subtitle: "s",
      panels,
      categories,
      legendTitle: "l",
      selected: new Set(),
    });
    expect(none.panels[0]?.selected).toBeNull();
  });
});
