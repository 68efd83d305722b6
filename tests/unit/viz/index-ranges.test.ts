import { describe, expect, it } from "vitest";
import { decodeIndexRanges, encodeIndexRanges } from "~/lib/viz/index-ranges";

describe("index ranges", () => {
  it("writes runs and singles in base 36 and reads them back", () => {
    expect(encodeIndexRanges([40, 0, 1, 2, 3, 9, 3])).toBe("0-3.9.14");
    expect(decodeIndexRanges("0-3.9.14", 100)).toEqual([0, 1, 2, 3, 9, 40]);
    expect(encodeIndexRanges([])).toBe("");
    expect(decodeIndexRanges("", 10)).toEqual([]);
    const many = Array.from({ length: 5000 }, (_, i) => i * 3);
    expect(decodeIndexRanges(encodeIndexRanges(many), 20_000)).toEqual(many);
  });

  it("refuses malformed parts and indices past the limit", () => {
    expect(() => decodeIndexRanges("3-1", 10)).toThrow(/outside/);
    expect(() => decodeIndexRanges("0-zzzz", 10)).toThrow(/outside/);
    expect(() => decodeIndexRanges("a,b", 100)).toThrow(/not an index/);
  });
});
