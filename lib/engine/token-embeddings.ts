import type { Tensor } from "~/lib/tensor";
import type { OrtGraph } from "./ort-graph";
import { int64 } from "./token-ops";

/** Embeds token ids [rows, T] → [rows, T, dim]. */
export type EmbedTokens = (ids: readonly number[], rows: number) => Promise<Tensor<Float32Array>>;

// Decoding embeds a handful of new ids per step; a graph call per step costs more than the lookup. Each id's row
// is kept (an embedding row depends on its id alone), up to this many bytes per graph (a few thousand ids of a
// full-size model, every id of the mini model).
const CACHE_BYTES = 64 * 2 ** 20;
const caches = new WeakMap<OrtGraph, Map<number, Float32Array>>();

/** An embed_tokens graph (input_ids → inputs_embeds) as EmbedTokens, each id computed once and then looked up. */
export function tokenEmbedder(graph: OrtGraph): EmbedTokens {
  let cache = caches.get(graph);
  if (cache === undefined) {
    cache = new Map();
    caches.set(graph, cache);
  }
  const rowsOf = cache;
  return async (ids, rows) => {
    const missing = [...new Set(ids.filter((id) => !rowsOf.has(id)))];
    const fresh = new Map<number, Float32Array>();
    let dim = rowsOf.values().next().value?.length ?? 0;
    if (missing.length > 0) {
      const out = (await graph.run({ input_ids: int64(missing, [1, missing.length]) }, ["inputs_embeds"]))
        .inputs_embeds;
      if (out === undefined) throw new Error("graph output inputs_embeds missing");
      dim = out.dims[2] ?? 0;
      const capacity = Math.floor(CACHE_BYTES / (4 * Math.max(1, dim)));
      for (const [k, id] of missing.entries()) {
        const row = out.data.slice(k * dim, (k + 1) * dim);
        fresh.set(id, row);
        if (rowsOf.size < capacity) rowsOf.set(id, row);
      }
    }
    return assemble(ids, rows, dim, (id) => rowsOf.get(id) ?? fresh.get(id));
  };
}

function assemble(
  ids: readonly number[],
  rows: number,
  dim: number,
  rowOf: (id: number) => Float32Array | undefined,
): Tensor<Float32Array> {
  const data = new Float32Array(ids.length * dim);
  for (const [i, id] of ids.entries()) {
    const row = rowOf(id);
    if (row === undefined) throw new Error(`no embedding for token ${id}`);
    data.set(row, i * dim);
  }
  return { data, dims: [rows, ids.length / Math.max(1, rows), dim] };
}
