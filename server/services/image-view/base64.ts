/** A typed array's bytes as base64 (little-endian, as every supported platform is): the browser transport is plain superjson. */
export function base64Of(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString("base64");
}
