/**
 * Projection coordinates as they travel: base64 of a little-endian Float32Array [n, 2] (x0, y0, x1, y1, …).
 * The panels of one explorer are Procrustes-aligned on the server, so they share one extent here: a point that
 * sits top-left in one panel sits top-left in the others.
 */
import { bytesOfBase64, float32OfBytes } from "~/lib/codec/base64";

export interface Extent {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

// Keeps the outermost points off the panel's edge (fraction of the half-width).
const EDGE_MARGIN = 0.05;

/** base64 → Float32Array [n, 2], interleaved x, y. Throws when the byte count is not a whole number of points. */
export function decodeCoords(base64: string): Float32Array {
  const bytes = bytesOfBase64(base64);
  if (bytes.length % 8 !== 0) throw new Error(`coordinates hold ${bytes.length} bytes, not n × 2 float32`);
  return float32OfBytes(bytes);
}

/** The bounding box of every finite point across all panels; a unit box around 0 when there are none. */
export function sharedExtent(panels: readonly Float32Array[]): Extent {
  const extent = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
  for (const coords of panels) {
    for (let i = 0; i + 1 < coords.length; i += 2) {
      const x = coords[i] as number;
      const y = coords[i + 1] as number;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (x < extent.minX) extent.minX = x;
      if (x > extent.maxX) extent.maxX = x;
      if (y < extent.minY) extent.minY = y;
      if (y > extent.maxY) extent.maxY = y;
    }
  }
  if (extent.minX > extent.maxX) return { minX: -1, maxX: 1, minY: -1, maxY: 1 };
  return extent;
}

/**
 * Maps coordinates into [-1, 1]² (WebGL clip space, what the scatter renderer draws) with one scale for both
 * axes, so distances keep their proportions and every panel of the same extent lines up.
 */
export function normalizeCoords(coords: Float32Array, extent: Extent): Float32Array {
  const centreX = (extent.minX + extent.maxX) / 2;
  const centreY = (extent.minY + extent.maxY) / 2;
  const halfSpan = Math.max(extent.maxX - extent.minX, extent.maxY - extent.minY, 1e-12) / 2;
  const scale = (1 - EDGE_MARGIN) / halfSpan;
  const out = new Float32Array(coords.length);
  for (let i = 0; i + 1 < coords.length; i += 2) {
    out[i] = ((coords[i] as number) - centreX) * scale;
    out[i + 1] = ((coords[i + 1] as number) - centreY) * scale;
  }
  return out;
}
