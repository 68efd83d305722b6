import { describe, expect, it } from "vitest";
import { canonicalJson, hashFeatures, projectionKey } from "~/lib/analysis";

describe("projection cache keys", () => {
  const features = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [2, 3] };

  it("hashes content, dims and element type", () => {
    const hash = hashFeatures(features);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashFeatures({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [2, 3] })).toBe(hash);
    expect(hashFeatures({ data: features.data, dims: [3, 2] })).not.toBe(hash);
    expect(hashFeatures({ data: Float64Array.from(features.data), dims: [2, 3] })).not.toBe(hash);
    expect(hashFeatures({ data: Float32Array.from([1, 2, 3, 4, 5, 7]), dims: [2, 3] })).not.toBe(hash);
    expect(hashFeatures(features, features)).not.toBe(hash);
  });

  it("ignores key order and undefined values, but not values", () => {
    const hash = hashFeatures(features);
    const key = projectionKey(hash, "umap", { nNeighbors: 15, minDist: 0.1, seed: 0 });
    expect(key).toMatch(/^umap:[0-9a-f]{64}$/);
    expect(projectionKey(hash, "umap", { seed: 0, minDist: 0.1, nNeighbors: 15, extra: undefined })).toBe(
      key,
    );
    expect(projectionKey(hash, "umap", { nNeighbors: 15, minDist: 0.1, seed: 1 })).not.toBe(key);
    expect(projectionKey(hash, "pca", { nNeighbors: 15, minDist: 0.1, seed: 0 })).not.toBe(key);
    expect(canonicalJson({ b: [1, { d: 2, c: 3 }], a: "x" })).toBe('{"a":"x","b":[1,{"c":3,"d":2}]}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
  });
});
