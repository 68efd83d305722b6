/** Element types the codecs read and write, named as safetensors names them. */
export interface DtypeArrays {
  F16: Uint16Array;
  F32: Float32Array;
  F64: Float64Array;
  I64: BigInt64Array;
  I32: Int32Array;
  U8: Uint8Array;
}

export type Dtype = keyof DtypeArrays;

/** One named array with its dtype and shape; the dtype decides the array type. */
export type DtypedArray = { [D in Dtype]: { dtype: D; shape: number[]; data: DtypeArrays[D] } }[Dtype];

type ArrayConstructorOf<D extends Dtype> = {
  new (length: number): DtypeArrays[D];
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): DtypeArrays[D];
  readonly BYTES_PER_ELEMENT: number;
};

export const ARRAY_TYPES: { [D in Dtype]: ArrayConstructorOf<D> } = {
  F16: Uint16Array,
  F32: Float32Array,
  F64: Float64Array,
  I64: BigInt64Array,
  I32: Int32Array,
  U8: Uint8Array,
};

export function isDtype(value: unknown): value is Dtype {
  return typeof value === "string" && Object.hasOwn(ARRAY_TYPES, value);
}

export function bytesPerElement(dtype: Dtype): number {
  return ARRAY_TYPES[dtype].BYTES_PER_ELEMENT;
}

// Both formats store little-endian data and we copy bytes straight into typed arrays, so the host must match.
const isLittleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function assertLittleEndianHost(): void {
  if (!isLittleEndianHost) throw new Error("lib/codec needs a little-endian host");
}

/** Copies `byteLength` bytes at `byteOffset` of `bytes` into a fresh, aligned array of `dtype`. */
export function readArray<D extends Dtype>(
  bytes: Uint8Array,
  byteOffset: number,
  byteLength: number,
  dtype: D,
): DtypeArrays[D] {
  assertLittleEndianHost();
  const start = bytes.byteOffset + byteOffset;
  const copy = bytes.buffer.slice(start, start + byteLength) as ArrayBuffer;
  return new ARRAY_TYPES[dtype](copy);
}

/** The raw little-endian bytes of a typed array (a view, no copy). */
export function bytesOf(data: DtypeArrays[Dtype]): Uint8Array {
  assertLittleEndianHost();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Number of elements of `shape`, or undefined when a dimension is not a non-negative safe integer. */
export function elementCount(shape: readonly unknown[]): number | undefined {
  let count = 1;
  for (const dim of shape) {
    if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 0) return undefined;
    count *= dim;
  }
  return Number.isSafeInteger(count) ? count : undefined;
}

/** Which dtype `data` is stored as, or undefined for an array type no codec writes. */
export function dtypeOfArray(data: unknown): Dtype | undefined {
  for (const dtype of Object.keys(ARRAY_TYPES) as Dtype[]) {
    if (data instanceof ARRAY_TYPES[dtype]) return dtype;
  }
  return undefined;
}
