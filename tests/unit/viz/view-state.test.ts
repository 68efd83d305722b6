import { describe, expect, it } from "vitest";
import {
  DEFAULT_VIEW_STATE,
  parseViewState,
  serializeViewState,
  viewStateFromJson,
} from "~/lib/viz/view-state";

describe("view state in the URL", () => {
  it("round-trips every field and leaves defaults out", () => {
    const state = {
      ...DEFAULT_VIEW_STATE,
      method: "pca" as const,
      nNeighbors: 30,
      minDist: 0.25,
      sources: ["depth:V", "breadth:<OCR>"],
      colourBy: "label:first_colour",
      selection: "0-3.9",
      image: "img1",
      mode: "patches" as const,
      patchSource: "fused",
      patchSelection: "a-f",
    };
    const params = serializeViewState(state);
    expect(params.get("seed")).toBeNull();
    expect(params.get("src")).toBe("depth:V,breadth:<OCR>");
    expect(parseViewState(new URLSearchParams(params.toString()))).toEqual(state);
    expect(serializeViewState(DEFAULT_VIEW_STATE).toString()).toBe("");
  });

  it("falls back per field on malformed values", () => {
    const state = parseViewState(
      new URLSearchParams("m=tsne&nn=1&md=0.3&c=<script>&sel=%3Cx%3E&mode=patches"),
    );
    expect(state).toMatchObject({ method: "umap", nNeighbors: 15, minDist: 0.3, colourBy: "" });
    expect(state).toMatchObject({ selection: "", mode: "patches" });
  });

  it("reads a stored share state, ignoring unknown and ill-typed fields", () => {
    const state = viewStateFromJson({ method: "pca", seed: 7, sources: ["fused"], selection: 3, evil: "x" });
    expect(state).toMatchObject({ method: "pca", seed: 7, sources: ["fused"], selection: "3" });
    expect(viewStateFromJson(null)).toEqual(DEFAULT_VIEW_STATE);
  });
});
