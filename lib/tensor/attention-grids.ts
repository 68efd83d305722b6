/**
 * Attention from query tokens (prompt or answer tokens) to image patches, laid out on the image's token grid: the
 * shape the engine produces and the browser draws. Pure data, so the image view can pick layers, heads and
 * queries without importing the engine.
 */
export interface AttentionGrids {
  layers: number;
  heads: number;
  /** Query tokens, in order (their text, for labels). */
  queries: string[];
  grid: [number, number];
  /** [layers, heads, queries, gridH * gridW] */
  data: Float32Array;
}

/** One grid [gridH * gridW]: a layer, averaged over heads (or one head) and over queries (or one query). */
export function selectGrid(
  grids: AttentionGrids,
  layer: number,
  options: { head?: number; query?: number } = {},
): Float32Array {
  const cells = grids.grid[0] * grids.grid[1];
  const heads = options.head === undefined ? [...Array(grids.heads).keys()] : [options.head];
  const queries = options.query === undefined ? [...grids.queries.keys()] : [options.query];
  const out = new Float32Array(cells);
  for (const h of heads) {
    for (const q of queries) {
      const offset = ((layer * grids.heads + h) * grids.queries.length + q) * cells;
      const cellsOf = grids.data.subarray(offset, offset + cells);
      cellsOf.forEach((value, c) => {
        out[c] = (out[c] ?? 0) + value;
      });
    }
  }
  const count = heads.length * queries.length;
  return out.map((sum) => sum / count);
}
