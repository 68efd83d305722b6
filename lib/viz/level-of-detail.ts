/**
 * A density-aware level of detail for a scatter plot: which rows to draw when there are more points than the
 * renderer should draw at once (software WebGL slows with every point it draws per frame). The view is cut into
 * a grid of cells and every cell keeps its first `cap` points, with `cap` the largest that fits the budget:
 * sparse cells (outliers, small clusters) keep every point, dense cells are thinned, so the picture keeps its
 * shape and its outliers. Zooming in shrinks the view, so the same budget draws more of the points there; once a
 * view holds no more than the budget, every point in it is drawn.
 */

export interface ViewBox {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

export const FULL_VIEW: ViewBox = { minX: -1, maxX: 1, minY: -1, maxY: 1 };
// Cells per side of the grid; about a cell per 3 px of a panel, finer than overlapping points can be told apart.
const CELLS = 256;

/** Rows of `coords` ([n, 2]) to draw in `view` with at most `budget` points, in row order. */
export function levelOfDetail(coords: Float32Array, budget: number, view: ViewBox = FULL_VIEW): Uint32Array {
  const n = coords.length / 2;
  const width = view.maxX - view.minX || 1;
  const height = view.maxY - view.minY || 1;
  const cellOf = new Int32Array(n);
  const counts = new Uint32Array(CELLS * CELLS);
  let inView = 0;
  for (let row = 0; row < n; row++) {
    const x = ((coords[2 * row] as number) - view.minX) / width;
    const y = ((coords[2 * row + 1] as number) - view.minY) / height;
    if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
      cellOf[row] = -1;
      continue;
    }
    const cell =
      Math.min(CELLS - 1, Math.floor(y * CELLS)) * CELLS + Math.min(CELLS - 1, Math.floor(x * CELLS));
    cellOf[row] = cell;
    counts[cell] = (counts[cell] as number) + 1;
    inView++;
  }
  let cap = Infinity;
  if (inView > budget) {
    // cellsWith[r]: how many cells hold more than r points, i.e. how many points a cap of r + 1 adds.
    let largest = 0;
    for (const count of counts) largest = Math.max(largest, count);
    const cellsWith = new Uint32Array(largest + 1);
    for (const count of counts) if (count > 0) cellsWith[count - 1] = (cellsWith[count - 1] as number) + 1;
    for (let r = largest - 1; r >= 0; r--)
      cellsWith[r] = (cellsWith[r] as number) + (cellsWith[r + 1] as number);
    let total = 0;
    cap = 0;
    while (cap < largest && total + (cellsWith[cap] as number) <= budget) total += cellsWith[cap++] as number;
  }
  // Even one point a cell is too many (a zoomed-in, evenly dense view): one point in every few cells, spread out.
  const occupied = counts.reduce((sum, count) => sum + (count > 0 ? 1 : 0), 0);
  const cellShare = cap === 0 ? budget / occupied : 1;
  const isCellKept = (cell: number) =>
    cellShare >= 1 || (Math.imul(cell, 2654435761) >>> 0) / 2 ** 32 < cellShare;
  const kept = new Uint32Array(Math.min(inView, budget));
  const taken = new Uint32Array(CELLS * CELLS);
  let k = 0;
  for (let row = 0; row < n && k < kept.length; row++) {
    const cell = cellOf[row] as number;
    if (cell < 0 || (taken[cell] as number) >= Math.max(cap, 1) || !isCellKept(cell)) continue;
    taken[cell] = (taken[cell] as number) + 1;
    kept[k++] = row;
  }
  return kept.slice(0, k);
}
