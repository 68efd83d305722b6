import { describe, expect, it } from "vitest";
import { decodeIndexRanges, encodeIndexRanges } from "~/lib/viz/index-ranges";
import { PointSet } from "~/lib/viz/point-set";

describe("point sets", () => {
  it("keeps sorted unique indices inside the universe with constant-time membership", () => {
    const set = PointSet.of([9, 3, 3, 0, 12, -1], 10);
    expect(set.size).toBe(3);
    expect(Array.from(set.indices)).toEqual([0, 3, 9]);
    expect([...set]).toEqual([0, 3, 9]);
    expect(set.has(3)).toBe(true);
    expect(set.has(4)).toBe(false);
    expect(set.has(12)).toBe(false);
    expect(PointSet.of([], 10)).toBe(PointSet.EMPTY);
  });

  it("writes a scattered selection of a million points as a short bitset, and runs as ranges", () => {
    const every = Uint32Array.from({ length: 250_000 }, (_, i) => i * 4 + (i % 3));
    const set = PointSet.of(every, 1_000_000);
    const text = encodeIndexRanges(set.indices);
    expect(text.startsWith("~")).toBe(true);
    expect(text.length).toBeLessThan(170_000);
    const back = decodeIndexRanges(text, 1_000_000);
    expect(back.length).toBe(every.length);
    expect(back.every((index, i) => index === every[i])).toBe(true);
    expect(encodeIndexRanges([5, 1, 2, 2, 3])).toBe("1-3.5");
    expect(() => decodeIndexRanges(text, 900_000)).toThrow(/longer than|outside/);
    expect(() => decodeIndexRanges("~a+b", 10)).toThrow(/base64url/);
  });
});
