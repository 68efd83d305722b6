/**
 * The feature-file format, owned here and nowhere else (docs/architecture.md, "Feature files"): one safetensors
 * file per (run, image) holding one [tokens, dim] token grid per kept source, named by the source
 * (`depth:V`, `breadth:<OCR>`, `fused`, …), fp16 or fp32 as the run asks, loadable as-is by Python's
 * `safetensors`. The metadata says which run, image and model made it, and each grid's geometry (its patch grid
 * and whether token 0 is a pooled token) as JSON under `geometry`. Pooled vectors (mean over the patch tokens)
 * are computed here too and stored as rows, in the dtype of the file.
 */
import { z } from "zod";
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from "~/lib/codec";
import { fp16ToFp32, fp32ToFp16, meanOfPatchTokens, type Tensor } from "~/lib/tensor";

export type FeatureDtype = "fp16" | "fp32";

/** Where a grid's patch tokens sit: rows × cols cells after an optional pooled token. */
export interface GridGeometry {
  grid: [number, number];
  hasPooledToken: boolean;
}

/** One source of one image as the encoder produced it. */
export interface SourceFeatures extends GridGeometry {
  tensor: Tensor<Float32Array>; // [tokens, dim]
}

/** The pooled vector of one source, encoded for its row: `dim` values in `dtype`. */
export interface PooledVector {
  source: string;
  dim: number;
  dtype: FeatureDtype;
  data: Uint8Array<ArrayBuffer>;
}

/** One source's patch tokens (pooled token dropped), row-major over its grid. */
export interface PatchGrid {
  grid: [number, number];
  tokens: Tensor<Float32Array>; // [rows · cols, dim]
}

const geometrySchema = z.record(
  z.string(),
  z.object({ grid: z.tuple([z.number().int(), z.number().int()]), hasPooledToken: z.boolean() }),
);

/** The bytes of one image's feature file, and the pooled vector of each source written into it. */
export function encodeFeatureFile(options: {
  runId: string;
  imageSha256: string;
  model: string;
  dtype: FeatureDtype;
  sources: Readonly<Record<string, SourceFeatures>>;
}): { bytes: Uint8Array; pooled: PooledVector[] } {
  const tensors: Record<string, SafetensorsTensor> = {};
  const geometry: Record<string, GridGeometry> = {};
  const pooled: PooledVector[] = [];
  for (const [source, feature] of Object.entries(options.sources)) {
    const [tokens = 0, dim = 0] = feature.tensor.dims;
    const shape = [tokens, dim];
    tensors[source] =
      options.dtype === "fp16"
        ? { dtype: "F16", shape, data: fp32ToFp16(feature.tensor.data) }
        : { dtype: "F32", shape, data: feature.tensor.data };
    geometry[source] = { grid: feature.grid, hasPooledToken: feature.hasPooledToken };
    const mean = meanOfPatchTokens(feature.tensor, feature.hasPooledToken ? 1 : 0);
    pooled.push({ source, dim, dtype: options.dtype, data: encodePooledVector(mean, options.dtype) });
  }
  const bytes = encodeSafetensors(tensors, {
    run: options.runId,
    image_sha256: options.imageSha256,
    model: options.model,
    geometry: JSON.stringify(geometry),
  });
  return { bytes, pooled };
}

/** A pooled vector's bytes for its row (little-endian fp16 or fp32). */
export function encodePooledVector(vector: Float32Array, dtype: FeatureDtype): Uint8Array<ArrayBuffer> {
  const values = dtype === "fp16" ? fp32ToFp16(vector) : vector;
  const bytes = new Uint8Array(values.byteLength);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return bytes;
}

/** A pooled vector's row bytes back to float32 (copied: SQLite blobs arrive at arbitrary offsets). */
export function decodePooledVector(bytes: Uint8Array, dtype: string): Float32Array {
  const aligned = new Uint8Array(bytes.byteLength);
  aligned.set(bytes);
  return dtype === "fp16" ? fp16ToFp32(new Uint16Array(aligned.buffer)) : new Float32Array(aligned.buffer);
}

/** The stored grids of a feature file, as stored (fp16 stays fp16), with the file's metadata. */
export function decodeFeatureFile(bytes: Uint8Array): {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
} {
  return decodeSafetensors(bytes);
}

/**
 * One source's patch tokens from a decoded feature file as float32, without the pooled token. The geometry comes
 * from the file's metadata; files without it (older or hand-made ones) get it inferred: a square grid after a
 * pooled token, else a square grid, else one row.
 */
export function patchGridOf(
  file: { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> },
  source: string,
  what: string,
): PatchGrid {
  const tensor = file.tensors[source];
  if (tensor === undefined || tensor.shape.length !== 2)
    throw new Error(`Feature file of ${what} has no token grid for ${source}.`);
  if (tensor.dtype !== "F16" && tensor.dtype !== "F32")
    throw new Error(`Token grid ${source} of ${what} is ${tensor.dtype}, not F16/F32.`);
  const [tokens = 0, dim = 0] = tensor.shape;
  const values = tensor.dtype === "F16" ? fp16ToFp32(tensor.data) : tensor.data;
  const stored = geometrySchema.catch({}).parse(parseJson(file.metadata.geometry))[source];
  const { grid, first } = patchLayout(tokens, stored);
  return { grid, tokens: { data: values.subarray(first * dim, tokens * dim), dims: [tokens - first, dim] } };
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "{}");
  } catch {
    return {};
  }
}

function patchLayout(
  tokens: number,
  geometry: GridGeometry | undefined,
): { grid: [number, number]; first: number } {
  if (geometry !== undefined) {
    const first = geometry.hasPooledToken ? 1 : 0;
    const [rows, cols] = geometry.grid;
    return { grid: rows * cols === tokens - first ? geometry.grid : [1, tokens - first], first };
  }
  const side = Math.round(Math.sqrt(tokens - 1));
  if (side * side === tokens - 1) return { grid: [side, side], first: 1 };
  const plain = Math.round(Math.sqrt(tokens));
  return plain * plain === tokens ? { grid: [plain, plain], first: 0 } : { grid: [1, tokens], first: 0 };
}
