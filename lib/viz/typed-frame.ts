/**
 * Typed arrays as they travel between the explorer's route handlers and the page: one binary frame of a small
 * JSON header (what the arrays are, plus any metadata) followed by the arrays' bytes, each starting on an 8-byte
 * boundary so the page views them in place without copying. Byte order is the platform's (little-endian on every
 * machine Lens runs on, as Float32Array coordinates already are in the database).
 */

export type TypedArray = Float32Array | Uint32Array | Uint16Array | Uint8Array;

const KINDS = {
  f32: Float32Array,
  u32: Uint32Array,
  u16: Uint16Array,
  u8: Uint8Array,
} as const;
type Kind = keyof typeof KINDS;

interface FrameHeader<M> {
  meta: M;
  arrays: { name: string; kind: Kind; length: number }[];
}

const ALIGN = 8;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

function kindOf(array: TypedArray): Kind {
  if (array instanceof Float32Array) return "f32";
  if (array instanceof Uint32Array) return "u32";
  if (array instanceof Uint16Array) return "u16";
  return "u8";
}

/** One frame of `meta` (JSON) and the named arrays. */
export function encodeFrame<M>(meta: M, arrays: Record<string, TypedArray>): Uint8Array<ArrayBuffer> {
  const entries = Object.entries(arrays);
  const header: FrameHeader<M> = {
    meta,
    arrays: entries.map(([name, array]) => ({ name, kind: kindOf(array), length: array.length })),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  let size = align(4 + headerBytes.length);
  const offsets = entries.map(([, array]) => {
    const at = size;
    size = align(size + array.byteLength);
    return at;
  });
  const frame = new Uint8Array(size);
  new DataView(frame.buffer).setUint32(0, headerBytes.length, true);
  frame.set(headerBytes, 4);
  entries.forEach(([, array], i) => {
    frame.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offsets[i]);
  });
  return frame;
}

/** The inverse of `encodeFrame`: views into `buffer`. Throws on a truncated or malformed frame. */
export function decodeFrame<M>(buffer: ArrayBuffer): { meta: M; arrays: Record<string, TypedArray> } {
  if (buffer.byteLength < 4) throw new Error("the frame is empty");
  const headerLength = new DataView(buffer).getUint32(0, true);
  if (4 + headerLength > buffer.byteLength) throw new Error("the frame's header is truncated");
  const header = JSON.parse(
    new TextDecoder().decode(new Uint8Array(buffer, 4, headerLength)),
  ) as FrameHeader<M>;
  let at = align(4 + headerLength);
  const arrays: Record<string, TypedArray> = {};
  for (const { name, kind, length } of header.arrays) {
    const Kind = KINDS[kind];
    if (Kind === undefined) throw new Error(`unknown array kind ${kind}`);
    const bytes = length * Kind.BYTES_PER_ELEMENT;
    if (at + bytes > buffer.byteLength) throw new Error(`array ${name} is truncated`);
    arrays[name] = new Kind(buffer, at, length);
    at = align(at + bytes);
  }
  return { meta: header.meta, arrays };
}
