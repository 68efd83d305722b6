import { describe, expect, it } from "vitest";
import { arrowDirection, centralPoint, nextPoint } from "~/lib/viz/point-navigation";

// A plus sign around the origin, plus a far point up-right and a duplicate of the centre.
//   index:           0 centre, 1 right, 2 far right, 3 left, 4 up, 5 down, 6 up-right (45°+), 7 duplicate of 0
const COORDS = Float32Array.from([0, 0, 0.2, 0.01, 0.6, 0, -0.3, 0, 0, 0.25, 0, -0.4, 0.3, 0.5, 0, 0]);

describe("keyboard traversal of points", () => {
  it("moves to the nearest point inside the direction's cone", () => {
    expect(nextPoint(COORDS, 0, "right")).toBe(1);
    expect(nextPoint(COORDS, 1, "right")).toBe(2);
    expect(nextPoint(COORDS, 0, "left")).toBe(3);
    expect(nextPoint(COORDS, 0, "up")).toBe(4);
    expect(nextPoint(COORDS, 0, "down")).toBe(5);
    // From "up" (0, 0.25) the up-right point (0.3, 0.5) lies at 50° from vertical: outside the up cone.
    expect(nextPoint(COORDS, 4, "up")).toBeNull();
    expect(nextPoint(COORDS, 4, "right")).toBe(6);
  });

  it("stops at the edge of the cloud and never moves onto a point at the same place", () => {
    expect(nextPoint(COORDS, 2, "right")).toBeNull();
    expect(nextPoint(COORDS, 5, "down")).toBeNull();
    expect(nextPoint(new Float32Array(), 0, "left")).toBeNull();
  });

  it("starts at the point nearest the centre and knows only arrow keys", () => {
    expect(centralPoint(COORDS)).toBe(0);
    expect(centralPoint(new Float32Array())).toBeNull();
    expect(arrowDirection("ArrowUp")).toBe("up");
    expect(arrowDirection("ArrowLeft")).toBe("left");
    expect(arrowDirection("Enter")).toBeNull();
  });
});
