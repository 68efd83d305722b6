/** Test fixture: coordinates as the server sends them (base64 of little-endian float32 pairs). */
export function base64Coords(values: readonly number[]): string {
  return Buffer.from(Float32Array.from(values).buffer).toString("base64");
}
