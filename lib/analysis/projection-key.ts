import { createHash } from "node:crypto";
import type { Tensor, TensorData } from "~/lib/tensor";

/**
 * Content hash of feature matrices: SHA-256 over each tensor's element type, dims and bytes, in order. Equal
 * features give equal hashes whatever produced them, so a cached projection is found again.
 */
export function hashFeatures(...tensors: Tensor<TensorData>[]): string {
  const hash = createHash("sha256");
  for (const { data, dims } of tensors) {
    hash.update(`${data.constructor.name}[${dims.join(",")}]`);
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest("hex");
}

export type ProjectionMethod = "pca" | "umap" | "pca-rgb";

/**
 * The cache key of a projection: method + SHA-256 of the canonical JSON (keys sorted at every level,
 * undefined dropped) of the input hash and parameters, so `{a: 1, b: 2}` and `{b: 2, a: 1}` share a key.
 */
export function projectionKey(
  inputHash: string,
  method: ProjectionMethod,
  params: Record<string, unknown>,
): string {
  const canonical = canonicalJson({ inputHash, method, params });
  return `${method}:${createHash("sha256").update(canonical).digest("hex")}`;
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  if (typeof value === "number" && !Number.isFinite(value))
    throw new Error(`cannot key a non-finite number ${value}`);
  return JSON.stringify(value);
}
