import { describe, expect, it } from "vitest";
import type { OrtGraph } from "~/lib/engine/ort-graph";
import { tokenEmbedder } from "~/lib/engine/token-embeddings";

/** An embed_tokens graph whose row for id i is [i, 10 i]; it records the ids of every call. */
function fakeEmbedGraph() {
  const calls: number[][] = [];
  const graph = {
    run: async (feeds: { input_ids: { data: BigInt64Array } }) => {
      const ids = Array.from(feeds.input_ids.data, Number);
      calls.push(ids);
      return {
        inputs_embeds: {
          data: Float32Array.from(ids.flatMap((id) => [id, 10 * id])),
          dims: [1, ids.length, 2],
        },
      };
    },
  } as unknown as OrtGraph;
  return { graph, calls };
}

describe("tokenEmbedder", () => {
  it("embeds [rows, T] ids as the graph does, running it only for ids it has not seen", async () => {
    const { graph, calls } = fakeEmbedGraph();
    const embed = tokenEmbedder(graph);
    const first = await embed([3, 5, 3, 7], 2);
    expect(first.dims).toEqual([2, 2, 2]);
    expect(Array.from(first.data)).toEqual([3, 30, 5, 50, 3, 30, 7, 70]);
    const second = await embed([5, 9], 2);
    expect(second.dims).toEqual([2, 1, 2]);
    expect(Array.from(second.data)).toEqual([5, 50, 9, 90]);
    // Each id went through the graph once; a second embedder of the same graph shares what the first learnt.
    expect(calls).toEqual([[3, 5, 7], [9]]);
    await tokenEmbedder(graph)([7, 9], 1);
    expect(calls.length).toBe(2);
  });
});
