/**
 * Typed arrays as they travel to the browser and sit in blob columns: their little-endian bytes (every supported
 * platform is little-endian), as base64 over plain superjson, or as raw bytes in SQLite. The one codec for
 * coordinates, attention grids, similarity maps and RGBA maps, on both sides.
 */

// String.fromCharCode takes its bytes as arguments: chunks keep big arrays under the engines' argument limit.
const CHUNK = 0x8000;

/** A typed array's bytes as base64. */
export function base64OfTypedArray(view: ArrayBufferView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (typeof Buffer !== "undefined") return Buffer.from(bytes).toString("base64");
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK)
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** base64 → bytes in a fresh, aligned buffer (Node's Buffer pool may start a buffer at any offset). */
export function bytesOfBase64(base64: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== "undefined") {
    const decoded = Buffer.from(base64, "base64");
    const bytes = new Uint8Array(decoded.byteLength);
    bytes.set(decoded);
    return bytes;
  }
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** base64 → Float32Array; throws when the byte count is not a whole number of floats. */
export function float32OfBase64(base64: string): Float32Array {
  return float32OfBytes(bytesOfBase64(base64));
}

/** Bytes → Float32Array, copied to an aligned buffer (SQLite blobs arrive at arbitrary offsets). */
export function float32OfBytes(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`${bytes.byteLength} bytes are not a whole number of float32`);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** A Float32Array's bytes in their own buffer (for a blob column). */
export function bytesOfFloat32(values: Float32Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(values.byteLength);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return bytes;
}
