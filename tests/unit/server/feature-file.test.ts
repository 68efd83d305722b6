import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors } from "~/lib/codec";
import { fp16ToFp32, fp32ToFp16 } from "~/lib/tensor";
import {
  decodeFeatureFile,
  decodePooledVector,
  encodeFeatureFile,
  patchGridOf,
} from "~/server/features/feature-file";

// [1 pooled + 2 × 3 patches, 4]: the pooled token is far from the patches, so a mean that kept it would show.
const GRID: [number, number] = [2, 3];
const tokens = Float32Array.from({ length: 7 * 4 }, (_, k) =>
  k < 4 ? 100 : (k % 4) + Math.floor(k / 4) * 0.5,
);

function encode(dtype: "fp16" | "fp32") {
  return encodeFeatureFile({
    runId: "run-1",
    imageSha256: "ab".repeat(32),
    model: "model-hash",
    dtype,
    sources: { "depth:V": { tensor: { data: tokens, dims: [7, 4] }, grid: GRID, hasPooledToken: true } },
  });
}

describe("the feature-file format", () => {
  it("stores each source as named, in the run's dtype, with its geometry and provenance", () => {
    const { bytes } = encode("fp16");
    // Readable by any safetensors reader: tensor named by the source, F16 bits as converted from the fp32 grid.
    const file = decodeSafetensors(bytes);
    const stored = file.tensors["depth:V"];
    expect(stored).toMatchObject({ dtype: "F16", shape: [7, 4] });
    if (stored?.dtype !== "F16") throw new Error("expected an F16 grid");
    expect(Array.from(stored.data)).toEqual(Array.from(fp32ToFp16(tokens)));
    expect(file.metadata).toMatchObject({ run: "run-1", image_sha256: "ab".repeat(32), model: "model-hash" });
    expect(JSON.parse(file.metadata.geometry ?? "")).toEqual({
      "depth:V": { grid: GRID, hasPooledToken: true },
    });
  });

  it("pools the patch tokens only, and reads patch grids back without the pooled token", () => {
    for (const dtype of ["fp16", "fp32"] as const) {
      const { bytes, pooled } = encode(dtype);
      const expectedMean = [0, 1, 2, 3].map((j) => {
        let sum = 0;
        for (let t = 1; t < 7; t++) sum += tokens[t * 4 + j] ?? 0;
        return sum / 6;
      });
      const [vector] = pooled;
      expect(vector).toMatchObject({ source: "depth:V", dim: 4, dtype });
      const decoded = decodePooledVector(vector?.data ?? new Uint8Array(), dtype);
      for (const [j, v] of decoded.entries())
        expect(v).toBeCloseTo(expectedMean[j] ?? 0, dtype === "fp16" ? 2 : 5);

      const grid = patchGridOf(decodeFeatureFile(bytes), "depth:V", "image x");
      expect(grid.grid).toEqual(GRID);
      expect(grid.tokens.dims).toEqual([6, 4]);
      const stored = dtype === "fp16" ? fp16ToFp32(fp32ToFp16(tokens)) : tokens;
      expect(Array.from(grid.tokens.data)).toEqual(Array.from(stored.subarray(4)));
    }
  });

  it("infers the geometry of files written without it, and says which grid is missing", () => {
    // 1 + 3 × 3 tokens and no metadata: a square grid after a pooled token.
    const bare = encodeSafetensors({
      "depth:V": { dtype: "F32", shape: [10, 2], data: new Float32Array(20) },
    });
    const grid = patchGridOf(decodeFeatureFile(bare), "depth:V", "image y");
    expect(grid.grid).toEqual([3, 3]);
    expect(grid.tokens.dims).toEqual([9, 2]);
    expect(() => patchGridOf(decodeFeatureFile(bare), "fused", "image y")).toThrow(
      "Feature file of image y has no token grid for fused.",
    );
  });
});
