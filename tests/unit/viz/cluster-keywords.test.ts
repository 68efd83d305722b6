import { describe, expect, it } from "vitest";
import { clusterKeywords, contentWords } from "~/lib/viz/cluster-keywords";
import { NO_CLUSTER } from "~/lib/viz/colour-by";

describe("cluster keywords", () => {
  it("keeps content words only", () => {
    expect(contentWords("A red Circle, and the blue star on 2 squares!")).toEqual([
      "red",
      "circle",
      "blue",
      "star",
      "squares",
    ]);
  });

  it("names each cluster by the words that set its texts apart (class tf-idf), not the common ones", () => {
    const texts = [
      "a red circle on grey",
      "red circle and a small square on grey",
      "a blue star on grey",
      "two blue stars on grey",
      null,
      "ignored text",
    ];
    const clusters = Uint16Array.from([0, 0, 1, 1, 1, NO_CLUSTER]);
    const names = clusterKeywords(texts, clusters, 3, 2);
    // "grey" is in every text: it names no cluster.
    expect(names[0]).toEqual(["circle", "red"]);
    expect(names[1]).toEqual(["blue", "star"]);
    expect(names[2]).toEqual([]);
  });
});
