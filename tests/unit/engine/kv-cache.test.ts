import { describe, expect, it } from "vitest";
import { gatherRows, KvCache } from "~/lib/engine/kv-cache";
import type { OrtGraph } from "~/lib/engine/ort-graph";

const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

/** Only the input metadata KvCache reads: two layers of [batch, 2 heads, past, 3]. */
const graph = {
  inputs: ["inputs_embeds", "past_key_values.0.key", "past_key_values.0.value", "past_key_values.1.key"].map(
    (name) => ({ name, type: "float32", shape: ["batch", 2, "past", 3] }),
  ),
} as unknown as OrtGraph;

function tensor(rows: number, past: number, start: number) {
  const size = rows * 2 * past * 3;
  return { data: Float32Array.from({ length: size }, (_, i) => start + i), dims: [rows, 2, past, 3] };
}

describe("KvCache", () => {
  it("feeds zero-length pasts of the graph's shape before the first call", () => {
    const cache = new KvCache(graph, PAST);
    expect(cache.isSupported).toBe(true);
    const feeds = cache.feeds(3);
    expect(Object.keys(feeds)).toEqual([
      "past_key_values.0.key",
      "past_key_values.0.value",
      "past_key_values.1.key",
    ]);
    expect(feeds["past_key_values.0.key"]?.dims).toEqual([3, 2, 0, 3]);
    expect(cache.pastLength).toBe(0);
  });

  it("turns present outputs into the next pasts, except those not kept", () => {
    const cache = new KvCache(graph, PAST);
    const present = tensor(1, 4, 0);
    cache.update(
      { "present.0.key": present, "present.1.key": tensor(1, 4, 100), logits: tensor(1, 1, 0) },
      (name) => name.startsWith("past_key_values.0."),
    );
    expect(cache.pastLength).toBe(4);
    expect(cache.feeds(1)["past_key_values.0.key"]).toBe(present);
    expect(cache.feeds(1)["past_key_values.1.key"]?.dims).toEqual([1, 2, 0, 3]);
    expect(cache.feeds(1, false)["past_key_values.0.key"]?.dims).toEqual([1, 2, 0, 3]);
  });

  it("reorders rows by beam parent and expands one row to many", () => {
    const cache = new KvCache(graph, PAST);
    cache.update({ "present.0.key": tensor(1, 2, 0) });
    cache.reorder([0, 0, 0]);
    const expanded = cache.feeds(3)["past_key_values.0.key"];
    expect(expanded?.dims).toEqual([3, 2, 2, 3]);
    const rows = gatherRows(tensor(3, 1, 0), [2, 0]);
    expect(Array.from(rows.data)).toEqual([12, 13, 14, 15, 16, 17, 0, 1, 2, 3, 4, 5]);
  });

  it("is unsupported for a graph without past inputs", () => {
    const plain = { inputs: [{ name: "inputs_embeds", type: "float32", shape: [] }] } as unknown as OrtGraph;
    expect(new KvCache(plain, PAST).isSupported).toBe(false);
  });
});
