import { describe, expect, it } from "vitest";
import { categorize } from "~/lib/viz/categories";
import { explorerCsv, explorerFigure } from "~/lib/viz/explorer-exports";
import { decodePanels } from "~/lib/viz/panels";

const points = [
  { imageId: "a", fileName: "a.png", caption: "one, two" },
  { imageId: "b", fileName: "b.png", caption: null },
];
const panels = decodePanels(
  [
    {
      meta: { source: "depth:V", projectionId: "p1", runId: "r", runName: "run", quality: null },
      coords: Float32Array.from([1, 2, 3, 4]),
      pointIndex: Uint32Array.from([0, 1]),
    },
    {
      meta: { source: "fused", projectionId: "p2", runId: "r", runName: "run", quality: null },
      coords: Float32Array.from([5, 6, 7, 8]),
      pointIndex: Uint32Array.from([1, 0]),
    },
  ],
  points.length,
);
const categories = categorize(["red", "blue"]);

describe("explorer exports", () => {
  it("writes one CSV row per panel and point with the computed coordinates", () => {
    const csv = explorerCsv({
      panels,
      detailsOf: (index) => points[index],
      categories,
      selected: new Set([1]),
    });
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
