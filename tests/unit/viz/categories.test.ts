import { describe, expect, it } from "vitest";
import { categorize, MISSING_LABEL, OTHER_LABEL } from "~/lib/viz/categories";

describe("categorize", () => {
  it("ranks values by count (ties by name), codes every point and counts the missing", () => {
    const { codes, legend } = categorize(["b", "a", "b", null, "c", "a", "b"]);
    expect(legend.map((e) => [e.label, e.count])).toEqual([
      ["b", 3],
      ["a", 2],
      ["c", 1],
      [MISSING_LABEL, 1],
    ]);
    expect(Array.from(codes)).toEqual([0, 1, 0, 3, 2, 1, 0]);
    expect(new Set(legend.map((e) => e.colour)).size).toBe(4);
  });

  it("folds rare values into 'other' beyond nine named colours", () => {
    const values = Array.from({ length: 12 }, (_, i) => `v${String(i).padStart(2, "0")}`);
    const { codes, legend } = categorize(values);
    expect(legend).toHaveLength(10);
    expect(legend.at(-1)).toMatchObject({ label: OTHER_LABEL, count: 3 });
    expect(codes[11]).toBe(9);
    expect(codes[0]).toBe(0);
  });
});
