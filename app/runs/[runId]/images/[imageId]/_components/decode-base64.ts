/** base64 → bytes (the server's typed arrays travel as base64 of their little-endian bytes). */
export function decodeBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** base64 → Float32Array (little-endian, as every supported platform is). */
export function decodeFloats(base64: string): Float32Array {
  const bytes = decodeBytes(base64);
  return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
}
