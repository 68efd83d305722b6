import type { Tensor } from "~/lib/tensor";

/** Small tensor operations the engine needs between graphs; all on [batch, tokens, dim] float32 tensors. */

/** Item `b` of a batch: [tokens, dim] (a copy, so callers may keep it after the batch is dropped). */
export function batchItem(tensor: Tensor<Float32Array>, b: number): Tensor<Float32Array> {
  const [, ...rest] = tensor.dims;
  const size = rest.reduce((a, d) => a * d, 1);
  return { data: tensor.data.slice(b * size, (b + 1) * size), dims: rest };
}

/** Items of equal shape stacked into a batch: [items, ...dims]. */
export function stackItems(items: readonly Tensor<Float32Array>[]): Tensor<Float32Array> {
  const dims = items[0]?.dims ?? [];
  const size = dims.reduce((a, d) => a * d, 1);
  const out = new Float32Array(items.length * size);
  for (const [k, item] of items.entries()) out.set(item.data, k * size);
  return { data: out, dims: [items.length, ...dims] };
}

/** Batches of equal item shape concatenated along the batch axis: [Σbatch, ...dims] (float states or int64 masks). */
export function concatBatch<T extends Float32Array | BigInt64Array>(parts: readonly Tensor<T>[]): Tensor<T> {
  const [, ...rest] = parts[0]?.dims ?? [0];
  const size = rest.reduce((a, d) => a * d, 1);
  const batch = parts.reduce((sum, part) => sum + (part.dims[0] ?? 0), 0);
  const first = parts[0]?.data ?? new Float32Array(0);
  const out = new (first.constructor as new (length: number) => T)(batch * size);
  let offset = 0;
  for (const part of parts) {
    out.set(part.data as never, offset);
    offset += part.data.length;
  }
  return { data: out, dims: [batch, ...rest] };
}

/** Rows [start, end) of every batch item: [batch, end - start, dim]. */
export function sliceTokens(tensor: Tensor<Float32Array>, start: number, end: number): Tensor<Float32Array> {
  const [batch = 1, tokens = 0, dim = 0] = tensor.dims;
  const out = new Float32Array(batch * (end - start) * dim);
  for (let b = 0; b < batch; b++) {
    out.set(
      tensor.data.subarray((b * tokens + start) * dim, (b * tokens + end) * dim),
      b * (end - start) * dim,
    );
  }
  return { data: out, dims: [batch, end - start, dim] };
}

/** Concatenates along the token axis: [batch, Σtokens, dim]. */
export function concatTokens(parts: readonly Tensor<Float32Array>[]): Tensor<Float32Array> {
  const batch = parts[0]?.dims[0] ?? 1;
  const dim = parts[0]?.dims[2] ?? 0;
  const total = parts.reduce((sum, part) => sum + (part.dims[1] ?? 0), 0);
  const out = new Float32Array(batch * total * dim);
  for (let b = 0; b < batch; b++) {
    let offset = b * total * dim;
    for (const part of parts) {
      const rows = (part.dims[1] ?? 0) * dim;
      out.set(part.data.subarray(b * rows, (b + 1) * rows), offset);
      offset += rows;
    }
  }
  return { data: out, dims: [batch, total, dim] };
}

/** DBFusion's channel concatenation: [batch, tokens, Σdim], parts in the given order. */
export function concatChannels(parts: readonly Tensor<Float32Array>[]): Tensor<Float32Array> {
  const [batch = 1, tokens = 0] = parts[0]?.dims ?? [];
  const dims = parts.map((part) => part.dims[2] ?? 0);
  const total = dims.reduce((a, d) => a + d, 0);
  const out = new Float32Array(batch * tokens * total);
  for (let row = 0; row < batch * tokens; row++) {
    let offset = row * total;
    for (const [k, part] of parts.entries()) {
      const dim = dims[k] ?? 0;
      out.set(part.data.subarray(row * dim, (row + 1) * dim), offset);
      offset += dim;
    }
  }
  return { data: out, dims: [batch, tokens, total] };
}

/** [batch, C, H, W] → [batch, H*W, C]: a stage's feature map as row-major tokens. */
export function channelsLastTokens(tensor: Tensor<Float32Array>): Tensor<Float32Array> {
  const [batch = 1, channels = 0, height = 0, width = 0] = tensor.dims;
  const plane = height * width;
  const out = new Float32Array(batch * plane * channels);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      const src = (b * channels + c) * plane;
      for (let p = 0; p < plane; p++) out[(b * plane + p) * channels + c] = tensor.data[src + p] ?? 0;
    }
  }
  return { data: out, dims: [batch, plane, channels] };
}

/** Repeats every batch item `times` times in place order: item 0 ×times, item 1 ×times, … */
export function repeatRows(tensor: Tensor<Float32Array>, times: number): Tensor<Float32Array> {
  const [batch = 1, ...rest] = tensor.dims;
  const size = rest.reduce((a, d) => a * d, 1);
  const out = new Float32Array(batch * times * size);
  for (let b = 0; b < batch; b++) {
    const item = tensor.data.subarray(b * size, (b + 1) * size);
    for (let k = 0; k < times; k++) out.set(item, (b * times + k) * size);
  }
  return { data: out, dims: [batch * times, ...rest] };
}

export function int64(values: readonly number[], dims: readonly number[]): Tensor<BigInt64Array> {
  return { data: BigInt64Array.from(values, (v) => BigInt(v)), dims };
}

export function ones64(dims: readonly number[]): Tensor<BigInt64Array> {
  return { data: new BigInt64Array(dims.reduce((a, d) => a * d, 1)).fill(1n), dims };
}
