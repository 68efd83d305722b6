import type { Tensor } from "~/lib/tensor";
import type { AttentionGrids } from "~/lib/tensor/attention-grids";

export type { AttentionGrids };

/**
 * Cuts `[1, heads, Q, K]` per-layer attention rows `queryRows` at key columns `firstPatch .. firstPatch + H*W`
 * (the grid, skipping a pooled token before it).
 */
export function attentionToGrid(
  layers: readonly Tensor<Float32Array>[],
  queryRows: readonly number[],
  firstPatch: number,
  grid: [number, number],
  queryTexts: string[],
): AttentionGrids {
  const cells = grid[0] * grid[1];
  const heads = layers[0]?.dims[1] ?? 0;
  const out = new Float32Array(layers.length * heads * queryRows.length * cells);
  for (const [l, layer] of layers.entries()) {
    const [, , queries = 0, keys = 0] = layer.dims;
    for (let h = 0; h < heads; h++) {
      for (const [q, row] of queryRows.entries()) {
        if (row >= queries) throw new RangeError(`attention row ${row} outside ${queries} queries`);
        const src = (h * queries + row) * keys + firstPatch;
        out.set(layer.data.subarray(src, src + cells), ((l * heads + h) * queryRows.length + q) * cells);
      }
    }
  }
  return { layers: layers.length, heads, queries: queryTexts, grid, data: out };
}

/** Stacks grids whose query sets differ (e.g. one answer token per decoding step) along the query axis. */
export function concatQueries(parts: readonly AttentionGrids[]): AttentionGrids {
  const first = parts[0];
  if (first === undefined) throw new RangeError("no attention grids to concatenate");
  const cells = first.grid[0] * first.grid[1];
  const queries = parts.reduce((n, part) => n + part.queries.length, 0);
  const out = new Float32Array(first.layers * first.heads * queries * cells);
  for (let l = 0; l < first.layers; l++) {
    for (let h = 0; h < first.heads; h++) {
      let q0 = 0;
      for (const part of parts) {
        const n = part.queries.length;
        const src = (l * part.heads + h) * n * cells;
        out.set(part.data.subarray(src, src + n * cells), ((l * first.heads + h) * queries + q0) * cells);
        q0 += n;
      }
    }
  }
  return { ...first, queries: parts.flatMap((part) => part.queries), data: out };
}
