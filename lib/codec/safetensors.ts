import {
  ARRAY_TYPES,
  bytesOf,
  bytesPerElement,
  type Dtype,
  type DtypedArray,
  dtypeOfArray,
  elementCount,
  isDtype,
  readArray,
} from "./dtype";

// The safetensors format (https://github.com/huggingface/safetensors#format): an 8-byte little-endian header
// length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}`
// padded with spaces, then the byte buffer; offsets are relative to the buffer, which the tensors tile exactly.

const METADATA_KEY = "__metadata__";
// Same cap as the reference implementation: a larger header is a corrupt or hostile file, not a real one.
const MAX_HEADER_BYTES = 100_000_000;
// Padding the header to 8 bytes makes the buffer start 8-aligned, so tensors sorted by element size stay aligned.
const HEADER_ALIGNMENT = 8;

export type SafetensorsErrorCode = "truncated" | "invalid-header" | "invalid-offsets" | "invalid-tensor";

export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";
  constructor(
    readonly code: SafetensorsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type SafetensorsTensor = DtypedArray;

export interface SafetensorsEntry {
  dtype: Dtype;
  shape: number[];
  /** [begin, end) relative to the start of the data buffer. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Where the data buffer starts in the file: 8 + the header's byte length. */
  dataStart: number;
  entries: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

/** Serialises tensors (sorted by element size, then name, so each is aligned) with optional string metadata. */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(tensors).sort((a, b) => {
    const sizeOrder =
      bytesPerElement((tensors[b] as SafetensorsTensor).dtype) -
      bytesPerElement((tensors[a] as SafetensorsTensor).dtype);
    return sizeOrder !== 0 ? sizeOrder : a < b ? -1 : a > b ? 1 : 0;
  });
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== "string")
        throw new SafetensorsError("invalid-header", `metadata "${key}" must be a string`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY)
      throw new SafetensorsError("invalid-tensor", `"${METADATA_KEY}" is not a tensor name`);
    const tensor = tensors[name] as SafetensorsTensor;
    checkTensor(name, tensor);
    const end = offset + tensor.data.byteLength;
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  const dataStart = 8 + headerLength;
  for (const name of names) {
    const tensor = tensors[name] as SafetensorsTensor;
    const [begin] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    out.set(bytesOf(tensor.data), dataStart + begin);
  }
  return out;
}

function checkTensor(name: string, tensor: SafetensorsTensor): void {
  if (!isDtype(tensor.dtype))
    throw new SafetensorsError("invalid-tensor", `"${name}": unknown dtype ${tensor.dtype}`);
  if (!(tensor.data instanceof ARRAY_TYPES[tensor.dtype])) {
    throw new SafetensorsError(
      "invalid-tensor",
      `"${name}": dtype ${tensor.dtype} needs a ${ARRAY_TYPES[tensor.dtype].name}, got ${dtypeOfArray(tensor.data) ?? "another array"}`,
    );
  }
  const count = elementCount(tensor.shape);
  if (count === undefined)
    throw new SafetensorsError("invalid-tensor", `"${name}": invalid shape [${tensor.shape}]`);
  if (count !== tensor.data.length) {
    throw new SafetensorsError(
      "invalid-tensor",
      `"${name}": shape [${tensor.shape}] holds ${count} elements but the data has ${tensor.data.length}`,
    );
  }
}

/**
 * Parses and validates the header only (dtypes, shapes, offsets tiling the buffer exactly). `bytes` needs at
 * least the first `dataStart` bytes; `fileLength` is the whole file's length when `bytes` is just a prefix.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, fileLength = bytes.length): SafetensorsHeader {
  if (bytes.length < 8)
    throw new SafetensorsError("truncated", `file is ${bytes.length} bytes, shorter than 8`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      "invalid-header",
      `header length ${declared} exceeds ${MAX_HEADER_BYTES} bytes`,
    );
  }
  const headerLength = Number(declared);
  const dataStart = 8 + headerLength;
  if (bytes.length < dataStart) {
    throw new SafetensorsError(
      "truncated",
      `header needs ${headerLength} bytes but ${bytes.length - 8} remain`,
    );
  }
  const raw = parseHeaderJson(bytes.subarray(8, dataStart));
  const metadata = parseMetadata(raw[METADATA_KEY]);
  const entries: Record<string, SafetensorsEntry> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name !== METADATA_KEY) entries[name] = parseEntry(name, value);
  }
  checkTiling(entries, fileLength - dataStart);
  return { dataStart, entries, metadata };
}

function parseHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError("invalid-header", "header is not valid UTF-8");
  }
  if (!text.startsWith("{")) throw new SafetensorsError("invalid-header", "header does not start with '{'");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError("invalid-header", `header is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError("invalid-header", "header is not a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SafetensorsError("invalid-header", `"${METADATA_KEY}" is not an object`);
  }
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== "string")
      throw new SafetensorsError("invalid-header", `metadata "${key}" is not a string`);
    metadata[key] = entry;
  }
  return metadata;
}

function parseEntry(name: string, value: unknown): SafetensorsEntry {
  const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (typeof entry !== "object" || entry === null) {
    throw new SafetensorsError("invalid-header", `"${name}" is not a tensor description`);
  }
  if (!isDtype(entry.dtype))
    throw new SafetensorsError("invalid-tensor", `"${name}": unsupported dtype ${entry.dtype}`);
  const shape = entry.shape;
  const count = Array.isArray(shape) ? elementCount(shape) : undefined;
  if (!Array.isArray(shape) || count === undefined) {
    throw new SafetensorsError("invalid-tensor", `"${name}": invalid shape ${JSON.stringify(shape)}`);
  }
  const offsets = entry.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0) ||
    offsets[1] < offsets[0]
  ) {
    throw new SafetensorsError(
      "invalid-offsets",
      `"${name}": invalid data_offsets ${JSON.stringify(offsets)}`,
    );
  }
  const dataOffsets: [number, number] = [offsets[0], offsets[1]];
  const expected = count * bytesPerElement(entry.dtype);
  if (dataOffsets[1] - dataOffsets[0] !== expected) {
    throw new SafetensorsError(
      "invalid-tensor",
      `"${name}": ${entry.dtype} [${shape}] needs ${expected} bytes but data_offsets span ${dataOffsets[1] - dataOffsets[0]}`,
    );
  }
  return { dtype: entry.dtype, shape: shape as number[], dataOffsets };
}

/** The tensors, in offset order, must cover [0, bufferLength) with no gap or overlap. */
function checkTiling(entries: Record<string, SafetensorsEntry>, bufferLength: number): void {
  const sorted = Object.entries(entries).sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0]);
  let expectedBegin = 0;
  for (const [name, entry] of sorted) {
    if (entry.dataOffsets[0] !== expectedBegin) {
      throw new SafetensorsError(
        "invalid-offsets",
        `"${name}" starts at ${entry.dataOffsets[0]}, expected ${expectedBegin} (gap or overlap)`,
      );
    }
    expectedBegin = entry.dataOffsets[1];
  }
  if (expectedBegin > bufferLength) {
    throw new SafetensorsError(
      "truncated",
      `tensors need ${expectedBegin} data bytes but the file has ${bufferLength}`,
    );
  }
  if (expectedBegin < bufferLength) {
    throw new SafetensorsError(
      "invalid-offsets",
      `${bufferLength - expectedBegin} trailing bytes after the last tensor`,
    );
  }
}

/** Decodes a whole safetensors file; every tensor is copied into its own aligned typed array. */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
} {
  const { dataStart, entries, metadata } = parseSafetensorsHeader(bytes);
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const [begin, end] = entry.dataOffsets;
    tensors[name] = {
      dtype: entry.dtype,
      shape: entry.shape,
      data: readArray(bytes, dataStart + begin, end - begin, entry.dtype),
    } as SafetensorsTensor;
  }
  return { tensors, metadata };
}
