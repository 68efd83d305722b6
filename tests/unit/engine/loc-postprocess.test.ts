import { describe, expect, it } from "vitest";
import { dequantize, parseBoxes, parseQuads, stripLocTokens } from "~/lib/engine/loc-postprocess";

function expectClose(actual: readonly number[] | undefined, expected: readonly number[]) {
  expect(actual).toHaveLength(expected.length);
  for (const [i, value] of expected.entries()) expect(actual?.[i]).toBeCloseTo(value, 9);
}

describe("Florence-2 <loc_N> post-processing", () => {
  it("dequantises bins to the bin centre in image pixels", () => {
    expect(dequantize(0, 1000)).toBe(0.5);
    expect(dequantize(999, 1000)).toBe(999.5);
    expect(dequantize(500, 192)).toBeCloseTo(96.096, 6);
  });

  it("parses labelled boxes, x by width and y by height", () => {
    const boxes = parseBoxes(
      "red circle<loc_100><loc_200><loc_300><loc_400>text apple<loc_0><loc_1><loc_2><loc_3>",
      200,
      100,
    );
    expect(boxes.map((b) => b.label)).toEqual(["red circle", "text apple"]);
    expectClose(boxes[0]?.box, [20.1, 20.05, 60.1, 40.05]);
    expectClose(boxes[1]?.box, [0.1, 0.15, 0.5, 0.35]);
  });

  it("gives several boxes to one label and repeats the previous label when one is empty", () => {
    const boxes = parseBoxes(
      "car<loc_1><loc_1><loc_2><loc_2><loc_3><loc_3><loc_4><loc_4><loc_5><loc_5><loc_6><loc_6>",
      1000,
      1000,
    );
    expect(boxes.map((b) => b.label)).toEqual(["car", "car", "car"]);
    expect(boxes[2]?.box).toEqual([5.5, 5.5, 6.5, 6.5]);
  });

  it("drops an incomplete trailing coordinate group", () => {
    expect(parseBoxes("dog<loc_1><loc_2><loc_3>", 100, 100)).toEqual([]);
  });

  it("parses OCR quadrilaterals (8 locs)", () => {
    const quads = parseQuads("STOP<loc_0><loc_0><loc_9><loc_0><loc_9><loc_9><loc_0><loc_9>", 1000, 500);
    expect(quads.map((q) => q.label)).toEqual(["STOP"]);
    expectClose(quads[0]?.quad, [0.5, 0.25, 9.5, 0.25, 9.5, 4.75, 0.5, 4.75]);
  });

  it("strips loc tokens for prose display", () => {
    expect(stripLocTokens("red circle<loc_1><loc_2><loc_3><loc_4>")).toBe("red circle");
  });
});
