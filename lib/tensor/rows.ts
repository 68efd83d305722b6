import { allocLike, type FloatArray, matrixDims, type Tensor, TensorShapeError } from "./tensor";

/** Row `i` of a [rows, cols] tensor as a view (no copy). */
export function rowOf<T extends FloatArray>(tensor: Tensor<T>, i: number): T {
  const [rows, cols] = matrixDims(tensor);
  if (!Number.isInteger(i) || i < 0 || i >= rows)
    throw new TensorShapeError(`row ${i} out of range [0, ${rows})`);
  return tensor.data.subarray(i * cols, (i + 1) * cols) as T;
}

/** The rows at `indices`, in that order, copied into a new [indices.length, cols] tensor. */
export function selectRows<T extends FloatArray>(tensor: Tensor<T>, indices: ArrayLike<number>): Tensor<T> {
  const [, cols] = matrixDims(tensor);
  const out = allocLike(tensor.data, indices.length * cols);
  for (let r = 0; r < indices.length; r++) out.set(rowOf(tensor, indices[r] as number), r * cols);
  return { data: out, dims: [indices.length, cols] };
}

/**
 * Mean over the token axis (second to last): [tokens, dim] → [dim], [batch, tokens, dim] → [batch, dim].
 * Sums run in float64.
 */
export function meanPoolTokens<T extends FloatArray>(tensor: Tensor<T>): Tensor<T> {
  const rank = tensor.dims.length;
  if (rank !== 2 && rank !== 3)
    throw new TensorShapeError(`meanPoolTokens needs rank 2 or 3, got [${tensor.dims}]`);
  const dim = tensor.dims[rank - 1] as number;
  const tokens = tensor.dims[rank - 2] as number;
  if (tokens === 0) throw new TensorShapeError("meanPoolTokens: no tokens to pool");
  const batch = rank === 3 ? (tensor.dims[0] as number) : 1;
  const out = allocLike(tensor.data, batch * dim);
  const sum = new Float64Array(dim);
  for (let b = 0; b < batch; b++) {
    sum.fill(0);
    for (let t = 0; t < tokens; t++) {
      const offset = (b * tokens + t) * dim;
      for (let j = 0; j < dim; j++) sum[j] = (sum[j] as number) + (tensor.data[offset + j] as number);
    }
    for (let j = 0; j < dim; j++) out[b * dim + j] = (sum[j] as number) / tokens;
  }
  return { data: out, dims: rank === 3 ? [batch, dim] : [dim] };
}

/**
 * Mean of the patch tokens of one [tokens, dim] grid, leaving out its first `skip` tokens (a pooled/CLS token):
 * the pooled vector a run stores per source. A grid with no patch tokens pools to zeros.
 */
export function meanOfPatchTokens(tensor: Tensor<Float32Array>, skip = 0): Float32Array {
  const [tokens, dim] = matrixDims(tensor);
  if (tokens - skip <= 0) return new Float32Array(dim);
  const patches = { data: tensor.data.subarray(skip * dim, tokens * dim), dims: [tokens - skip, dim] };
  return meanPoolTokens(patches).data;
}

/**
 * Rows of equal width stacked into one [rows.length, width] tensor (float or fp16 bits, kept as they are).
 * Throws naming `what` when widths differ.
 */
export function stackRows<T extends Float32Array | Float64Array | Uint16Array>(
  rows: readonly T[],
  what = "rows",
): Tensor<T> {
  const first = rows[0];
  const width = first?.length ?? 0;
  const out = (
    first === undefined
      ? new Float32Array(0)
      : new (first.constructor as new (n: number) => T)(rows.length * width)
  ) as T;
  rows.forEach((row, i) => {
    if (row.length !== width)
      throw new TensorShapeError(`${what} differ in width (${width} vs ${row.length})`);
    out.set(row, i * width);
  });
  return { data: out, dims: [rows.length, width] };
}

/** Matrices of one width one after another: [n₁, dim] ++ [n₂, dim] ++ … → [Σnᵢ, dim]. */
export function concatRows(parts: readonly Tensor<Float32Array>[], what = "matrices"): Tensor<Float32Array> {
  const dim = parts[0]?.dims[1] ?? 0;
  let rows = 0;
  for (const part of parts) {
    const [n, width] = matrixDims(part, what);
    if (width !== dim) throw new TensorShapeError(`${what} differ in width (${dim} vs ${width})`);
    rows += n;
  }
  const out = new Float32Array(rows * dim);
  let offset = 0;
  for (const part of parts) {
    out.set(part.data.subarray(0, (part.dims[0] ?? 0) * dim), offset);
    offset += (part.dims[0] ?? 0) * dim;
  }
  return { data: out, dims: [rows, dim] };
}

/** Each row divided by its L2 norm (a zero row stays zero). Returns the normalised copy and the norms. */
export function l2NormalizeRows<T extends FloatArray>(
  tensor: Tensor<T>,
): { normalized: Tensor<T>; norms: Float64Array } {
  const [rows, cols] = matrixDims(tensor);
  const out = allocLike(tensor.data, rows * cols);
  const norms = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let sumSquares = 0;
    for (let j = 0; j < cols; j++) sumSquares += (tensor.data[offset + j] as number) ** 2;
    const norm = Math.sqrt(sumSquares);
    norms[i] = norm;
    const scale = norm > 0 ? 1 / norm : 0;
    for (let j = 0; j < cols; j++) out[offset + j] = (tensor.data[offset + j] as number) * scale;
  }
  return { normalized: { data: out, dims: [rows, cols] }, norms };
}

/** Column means of a [rows, cols] tensor (float64). */
export function columnMeans(tensor: Tensor<FloatArray>): Float64Array {
  const [rows, cols] = matrixDims(tensor);
  const means = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) means[j] = (means[j] as number) + (tensor.data[offset + j] as number);
  }
  for (let j = 0; j < cols; j++) means[j] = (means[j] as number) / Math.max(rows, 1);
  return means;
}

/** A float64 copy with the column means subtracted: the centring step of PCA and CKA. */
export function centerColumns(tensor: Tensor<FloatArray>): Tensor<Float64Array> {
  const [rows, cols] = matrixDims(tensor);
  const means = columnMeans(tensor);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++)
      out[offset + j] = (tensor.data[offset + j] as number) - (means[j] as number);
  }
  return { data: out, dims: [rows, cols] };
}
