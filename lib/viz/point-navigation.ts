/** Keyboard traversal of a scatter plot: from one point to the nearest point in an arrow key's direction. */

export type Direction = "left" | "right" | "up" | "down";

const UNIT: Record<Direction, [number, number]> = {
  right: [1, 0],
  left: [-1, 0],
  // Plot coordinates grow upwards (y = 1 is the top of the panel).
  up: [0, 1],
  down: [0, -1],
};

/** The arrow key's direction, or null for any other key. */
export function arrowDirection(key: string): Direction | null {
  switch (key) {
    case "ArrowLeft":
      return "left";
    case "ArrowRight":
      return "right";
    case "ArrowUp":
      return "up";
    case "ArrowDown":
      return "down";
    default:
      return null;
  }
}

/**
 * The point to move to from `from` (coords: [n, 2] interleaved): among the points inside the 90° cone around
 * `direction`, the nearest one; null when the cone is empty (the edge of the cloud) or there are no points.
 * A point at the same position as `from` is never a move.
 */
export function nextPoint(coords: Float32Array, from: number, direction: Direction): number | null {
  const [ux, uy] = UNIT[direction];
  const x0 = coords[2 * from] ?? 0;
  const y0 = coords[2 * from + 1] ?? 0;
  let best: number | null = null;
  let bestDistance = Infinity;
  for (let i = 0; i < coords.length / 2; i++) {
    const dx = (coords[2 * i] ?? 0) - x0;
    const dy = (coords[2 * i + 1] ?? 0) - y0;
    const along = dx * ux + dy * uy;
    const across = Math.abs(dx * uy - dy * ux);
    if (along <= 0 || across > along) continue;
    const distance = dx * dx + dy * dy;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

/** Where keyboard traversal starts: the point nearest the centre of the plot, or null without points. */
export function centralPoint(coords: Float32Array): number | null {
  let best: number | null = null;
  let bestDistance = Infinity;
  for (let i = 0; i < coords.length / 2; i++) {
    const x = coords[2 * i] ?? 0;
    const y = coords[2 * i + 1] ?? 0;
    const distance = x * x + y * y;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}
