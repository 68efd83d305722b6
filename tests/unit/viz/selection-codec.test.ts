import { describe, expect, it } from "vitest";
import { encodeIndexRanges } from "~/lib/viz/index-ranges";
import { PointSet } from "~/lib/viz/point-set";
import { createSelectionCodec } from "~/lib/viz/selection-codec";

describe("selection codec", () => {
  it("writes a selection as index ranges and reads it back", () => {
    const codec = createSelectionCodec();
    const text = codec.encode([9, 3, 2, 1, 0, 40, 3], 100);
    expect(text).toBe("0-3.9.14");
    expect(Array.from(createSelectionCodec().decode(text, 100))).toEqual([0, 1, 2, 3, 9, 40]);
  });

  it("gives back the set it last encoded, not a decoded copy", () => {
    const codec = createSelectionCodec();
    const scattered = Uint32Array.from({ length: 50_000 }, (_, i) => 2 * i);
    const text = codec.encode(scattered, 100_000);
    expect(text.startsWith("~")).toBe(true);
    const set = codec.decode(text, 100_000);
    expect(codec.decode(text, 100_000)).toBe(set);
    expect(set.size).toBe(50_000);
    expect(set.has(99_998)).toBe(true);
    expect(set.has(99_999)).toBe(false);
    // Another universe (the points of another mode) decodes the text afresh.
    expect(codec.decode(text, 200_000)).not.toBe(set);
    expect(codec.decode(text, 200_000).size).toBe(50_000);
  });

  it("decodes texts it did not write, and a malformed or out-of-range one as no selection", () => {
    const codec = createSelectionCodec();
    codec.encode([1, 2], 10);
    expect(Array.from(codec.decode(encodeIndexRanges([4, 5, 7]), 10))).toEqual([4, 5, 7]);
    expect(codec.decode("0-zz", 10)).toBe(PointSet.EMPTY);
    expect(codec.decode("nonsense!", 10)).toBe(PointSet.EMPTY);
  });
});
