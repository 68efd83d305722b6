import { fp16ToFp32 } from "./fp16";

/** Flat typed arrays with explicit dims, row-major (C order): the one numeric currency of `lib/`. */
export type TensorData = Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

export type FloatArray = Float32Array | Float64Array;

export interface Tensor<T extends TensorData = TensorData> {
  readonly data: T;
  readonly dims: readonly number[];
}

export class TensorShapeError extends Error {
  override readonly name = "TensorShapeError";
}

/** Number of elements for `dims`; throws on a negative or fractional dimension. */
export function sizeOfDims(dims: readonly number[]): number {
  let size = 1;
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0)
      throw new TensorShapeError(`invalid dimension ${dim} in [${dims}]`);
    size *= dim;
  }
  return size;
}

/** Wraps `data` with `dims` after checking that the sizes agree. */
export function createTensor<T extends TensorData>(data: T, dims: readonly number[]): Tensor<T> {
  const size = sizeOfDims(dims);
  if (size !== data.length) {
    throw new TensorShapeError(`dims [${dims}] hold ${size} elements but the data has ${data.length}`);
  }
  return { data, dims: [...dims] };
}

/** Returns `[rows, cols]` of a rank-2 tensor, or throws naming `what`. */
export function matrixDims(tensor: Tensor, what = "tensor"): [number, number] {
  const [rows, cols] = tensor.dims;
  if (tensor.dims.length !== 2 || rows === undefined || cols === undefined) {
    throw new TensorShapeError(`${what} must be rank 2, got dims [${tensor.dims}]`);
  }
  return [rows, cols];
}

/** A zeroed array of the same float type as `like`. */
export function allocLike<T extends FloatArray>(like: T, length: number): T {
  return (like instanceof Float32Array ? new Float32Array(length) : new Float64Array(length)) as T;
}

export function toFloat64(tensor: Tensor<FloatArray | Uint16Array>): Tensor<Float64Array> {
  const data = tensor.data instanceof Uint16Array ? Float64Array.from(fp16ToFp32(tensor.data)) : tensor.data;
  return { data: data instanceof Float64Array ? data : Float64Array.from(data), dims: tensor.dims };
}

export function toFloat32(tensor: Tensor<FloatArray | Uint16Array>): Tensor<Float32Array> {
  if (tensor.data instanceof Float32Array) return tensor as Tensor<Float32Array>;
  const data = tensor.data instanceof Uint16Array ? fp16ToFp32(tensor.data) : Float32Array.from(tensor.data);
  return { data, dims: tensor.dims };
}
