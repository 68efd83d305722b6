import { ARRAY_TYPES, bytesOf, type Dtype, type DtypedArray, elementCount, readArray } from "./dtype";

// NumPy's .npy format (numpy.lib.format): magic "\x93NUMPY", version bytes, a little-endian header length
// (u16 in v1.0, u32 in v2.0/v3.0), then an ASCII Python dict literal
// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and ending in "\n", then
// the data in C order. We write v1.0 and read all three versions.

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
// numpy pads the header so the data starts 64-byte aligned (ARRAY_ALIGN in numpy.lib.format).
const DATA_ALIGNMENT = 64;
// A v1.0 header length is a u16.
const MAX_V1_HEADER = 0xffff;

const DESCR_OF: Record<Dtype, string> = {
  F16: "<f2",
  F32: "<f4",
  F64: "<f8",
  I64: "<i8",
  I32: "<i4",
  U8: "|u1",
};

export class NpyError extends Error {
  override readonly name = "NpyError";
}

/** Encodes one C-order array as a NumPy .npy v1.0 file. */
export function encodeNpy(array: DtypedArray): Uint8Array {
  const { dtype, shape, data } = array;
  if (!(data instanceof ARRAY_TYPES[dtype]))
    throw new NpyError(`dtype ${dtype} needs a ${ARRAY_TYPES[dtype].name}`);
  const count = elementCount(shape);
  if (count === undefined || count !== data.length) {
    throw new NpyError(`shape [${shape}] does not match ${data.length} elements`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${DESCR_OF[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const prefixLength = MAGIC.length + 2 + 2;
  const unpadded = prefixLength + dict.length + 1;
  const headerLength = Math.ceil(unpadded / DATA_ALIGNMENT) * DATA_ALIGNMENT - prefixLength;
  if (headerLength > MAX_V1_HEADER)
    throw new NpyError(`shape [${shape}] makes a header too long for .npy v1.0`);
  const header = `${dict.padEnd(headerLength - 1, " ")}\n`;
  const out = new Uint8Array(prefixLength + headerLength + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, headerLength, true);
  for (let i = 0; i < header.length; i++) out[prefixLength + i] = header.charCodeAt(i);
  out.set(bytesOf(data), prefixLength + headerLength);
  return out;
}

/** Decodes a C-order, little-endian .npy file of one of the codec dtypes. */
export function decodeNpy(bytes: Uint8Array): DtypedArray {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte))
    throw new NpyError("not a .npy file (bad magic)");
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError("truncated .npy header");
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  } else {
    throw new NpyError(`unsupported .npy version ${major}`);
  }
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) throw new NpyError("truncated .npy header");
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(headerStart, dataStart),
  );
  const { dtype, shape } = parseHeader(header);
  const count = elementCount(shape) as number;
  const byteLength = count * ARRAY_TYPES[dtype].BYTES_PER_ELEMENT;
  if (bytes.length - dataStart !== byteLength) {
    throw new NpyError(
      `shape [${shape}] needs ${byteLength} data bytes but the file has ${bytes.length - dataStart}`,
    );
  }
  return { dtype, shape, data: readArray(bytes, dataStart, byteLength, dtype) } as DtypedArray;
}

function parseHeader(header: string): { dtype: Dtype; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError(`malformed .npy header: ${header.trim()}`);
  }
  const dtype = (Object.keys(DESCR_OF) as Dtype[]).find(
    (d) => DESCR_OF[d] === descr || (d === "U8" && descr === "<u1"),
  );
  if (dtype === undefined)
    throw new NpyError(`unsupported .npy dtype '${descr}' (expected one of ${Object.values(DESCR_OF)})`);
  if (fortran === "True") throw new NpyError("Fortran-order .npy files are not supported; save with C order");
  const shape = shapeText
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map(Number);
  if (elementCount(shape) === undefined) throw new NpyError(`invalid .npy shape (${shapeText})`);
  return { dtype, shape };
}
