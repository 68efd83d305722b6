import { describe, expect, it } from "vitest";
import {
  type ColourablePoint,
  colourPoints,
  defaultColourBy,
  labelKeys,
  parseColourBy,
} from "~/lib/viz/colour-by";

const points: ColourablePoint[] = [
  { caption: "A red circle and a blue star.", labels: { colour: "red", n: 2 }, status: "done", tasks: {} },
  { caption: "An ordered row.", labels: { colour: "blue" }, status: "done", tasks: { "<OCR>": " price " } },
  { caption: null, labels: {}, status: "failed", tasks: { "<OCR>": "" } },
];

describe("colour by", () => {
  it("parses each colouring and falls back to none", () => {
    expect(parseColourBy("label:colour")).toEqual({ kind: "label", key: "colour" });
    expect(parseColourBy("cluster:6")).toEqual({ kind: "cluster", k: 6 });
    expect(parseColourBy("word:Red")).toEqual({ kind: "word", word: "red" });
    expect(parseColourBy("answer:<OCR>")).toEqual({ kind: "answer", prompt: "<OCR>" });
    expect(parseColourBy("cluster:x")).toEqual({ kind: "none" });
    expect(parseColourBy("bogus")).toEqual({ kind: "none" });
  });

  it("colours by label, whole caption words, answers, status and clusters", () => {
    const label = colourPoints(points, { kind: "label", key: "colour" });
    expect(label.legend.map((e) => e.label)).toEqual(["blue", "red", "(none)"]);
    expect(Array.from(label.codes)).toEqual([1, 0, 2]);
    const word = colourPoints(points, { kind: "word", word: "red" });
    expect(word.legend[word.codes[0] as number]?.label).toBe("with “red”");
    expect(word.legend[word.codes[1] as number]?.label).toBe("without “red”");
    const answer = colourPoints(points, { kind: "answer", prompt: "<OCR>" });
    expect(answer.legend.map((e) => e.label)).toEqual(["(empty)", "price", "(none)"]);
    expect(colourPoints(points, { kind: "status" }).legend.map((e) => e.count)).toEqual([2, 1]);
    const clusters = colourPoints(points, { kind: "cluster", k: 2 }, Uint16Array.from([1, 0, 1]));
    expect(clusters.legend.map((e) => e.label)).toEqual(["cluster 2", "cluster 1"]);
    expect(labelKeys(points)).toEqual(["colour", "n"]);
  });

  it("colours by the first label by default when the images have labels, else by nothing", () => {
    expect(defaultColourBy(points)).toBe("label:colour");
    expect(defaultColourBy([...points].reverse())).toBe("label:colour");
    expect(defaultColourBy([{ labels: {} }, { labels: { split: "a" } }])).toBe("label:split");
    expect(defaultColourBy([{ labels: {} }])).toBe("none");
    expect(defaultColourBy([])).toBe("none");
  });
});
