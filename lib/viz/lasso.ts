/**
 * The lasso over every point of a panel, not only the drawn ones: with a level of detail the scatter draws a
 * subsample, so the selection is computed here on the panel's typed coordinates (even–odd rule).
 *
 * A loop around half of a million points would test each of them against every edge of the loop. Instead the
 * loop's bounding box is cut into a grid: cells that no edge touches lie wholly inside or wholly outside, so their
 * points take the answer of one test at the cell's centre, and only points in the cells along the loop's line
 * are tested themselves.
 */

// Cells per side of the grid over the loop's bounding box: its line crosses a small share of them.
const GRID = 256;
const UNKNOWN = 0;
const INSIDE = 1;
const OUTSIDE = 2;
const ON_EDGE = 3;

/** Whether (x, y) is inside the polygon of vertices xs, ys (even–odd rule). */
function isInside(xs: Float64Array, ys: Float64Array, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    const yi = ys[i] as number;
    const yj = ys[j] as number;
    if (yi > y !== yj > y) {
      const xi = xs[i] as number;
      const xj = xs[j] as number;
      if (x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

export function pointsInPolygon(
  coords: Float32Array,
  polygon: readonly (readonly [number, number])[],
): Uint32Array {
  const m = polygon.length;
  if (m < 3) return new Uint32Array(0);
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  polygon.forEach(([x, y], i) => {
    xs[i] = x;
    ys[i] = y;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  });
  const cellWidth = (maxX - minX) / GRID || 1;
  const cellHeight = (maxY - minY) / GRID || 1;
  const column = (x: number) => Math.min(GRID - 1, Math.max(0, Math.floor((x - minX) / cellWidth)));
  const row = (y: number) => Math.min(GRID - 1, Math.max(0, Math.floor((y - minY) / cellHeight)));
  const cells = new Uint8Array(GRID * GRID);
  // Each edge in pieces no longer than half a cell; every cell a piece's box reaches (widened by a tenth of a
  // cell against rounding) is on the edge. A cell left unmarked holds no part of the loop's line.
  const slackX = cellWidth / 10;
  const slackY = cellHeight / 10;
  for (let i = 0, j = m - 1; i < m; j = i++) {
    const [x0, y0, x1, y1] = [xs[j] as number, ys[j] as number, xs[i] as number, ys[i] as number];
    const pieces = Math.max(
      1,
      Math.ceil(2 * Math.max(Math.abs(x1 - x0) / cellWidth, Math.abs(y1 - y0) / cellHeight)),
    );
    for (let k = 0; k < pieces; k++) {
      const [ax, ay] = [x0 + ((x1 - x0) * k) / pieces, y0 + ((y1 - y0) * k) / pieces];
      const [bx, by] = [x0 + ((x1 - x0) * (k + 1)) / pieces, y0 + ((y1 - y0) * (k + 1)) / pieces];
      const [c0, c1] = [column(Math.min(ax, bx) - slackX), column(Math.max(ax, bx) + slackX)];
      const [r0, r1] = [row(Math.min(ay, by) - slackY), row(Math.max(ay, by) + slackY)];
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) cells[r * GRID + c] = ON_EDGE;
    }
  }

  const n = coords.length / 2;
  const inside = new Uint32Array(n);
  let count = 0;
  for (let point = 0; point < n; point++) {
    const x = coords[2 * point] as number;
    const y = coords[2 * point + 1] as number;
    if (!(x >= minX && x <= maxX && y >= minY && y <= maxY)) continue;
    const cell = row(y) * GRID + column(x);
    let state = cells[cell] as number;
    if (state === UNKNOWN) {
      const centreX = minX + ((cell % GRID) + 0.5) * cellWidth;
      const centreY = minY + (Math.floor(cell / GRID) + 0.5) * cellHeight;
      state = isInside(xs, ys, centreX, centreY) ? INSIDE : OUTSIDE;
      cells[cell] = state;
    }
    if (state === INSIDE || (state === ON_EDGE && isInside(xs, ys, x, y))) inside[count++] = point;
  }
  return inside.slice(0, count);
}
