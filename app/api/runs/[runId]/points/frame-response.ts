/** A binary frame (lib/viz/typed-frame.ts) as a private, uncached answer. */
export function frameResponse(frame: Uint8Array<ArrayBuffer>): Response {
  return new Response(frame, {
    headers: {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(frame.byteLength),
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
