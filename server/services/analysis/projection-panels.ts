import { z } from "zod";
import { procrustesAlign } from "~/lib/analysis/procrustes";
import { AppError } from "~/server/app-error";
import type { Projection } from "~/server/store/generated/prisma/client";
import { patchPointsSchema, pooledPointsSchema } from "./projection-inputs";
import type { ProjectionMethodName } from "./projection-params";

const qualitySchema = z.object({
  trustworthiness: z.number(),
  knnRecall: z.number(),
  k: z.number().int(),
  queries: z.number().int(),
});
export type ProjectionQualityView = z.infer<typeof qualitySchema>;

/** One panel of a small-multiples view: one source's layout, aligned to the reference panel. */
export interface ProjectionPanel {
  source: string;
  projectionId: string;
  method: ProjectionMethodName;
  /** The canonical layout parameters the coordinates were made with. */
  params: Record<string, unknown>;
  /** Row i of `coords` is this image. */
  imageIds: string[];
  /** base64 of little-endian Float32Array [imageIds.length, 2], aligned to the reference panel. */
  coords: string;
  /** Trustworthiness and k-NN recall of the layout (null below 3 points). */
  quality: ProjectionQualityView | null;
  isReference: boolean;
}

/** A patch-token layout: point i is patch `i − start` (grid row-major) of the image whose range holds i. */
export interface PatchProjectionPanel {
  source: string;
  projectionId: string;
  method: ProjectionMethodName;
  params: Record<string, unknown>;
  images: { imageId: string; grid: [number, number]; start: number; count: number }[];
  /** base64 of little-endian Float32Array [points, 2]. */
  coords: string;
  quality: ProjectionQualityView | null;
}

/**
 * Panels of the given stored projections, each similarity-aligned (Procrustes over the images they share) to the
 * reference panel. Alignment happens here, at read time, so stored coordinates stay canonical and any panel can
 * be the reference.
 */
export function toAlignedPanels(rows: readonly Projection[], referenceId: string): ProjectionPanel[] {
  const decoded = rows.map((row) => {
    if (row.mode !== "pooled") throw new AppError("BAD_INPUT", `Projection ${row.id} is a patch projection.`);
    return { row, imageIds: pooledPointsSchema.parse(row.points).imageIds, coords: decodeCoords(row.coords) };
  });
  const reference = decoded.find((panel) => panel.row.id === referenceId);
  if (reference === undefined)
    throw new AppError("BAD_INPUT", `The reference ${referenceId} is not a panel.`);
  return decoded.map((panel) => ({
    source: panel.row.source,
    projectionId: panel.row.id,
    method: panel.row.method as ProjectionMethodName,
    params: panel.row.params as Record<string, unknown>,
    imageIds: panel.imageIds,
    coords: encodeCoords(panel === reference ? panel.coords : alignOnSharedImages(reference, panel)),
    quality: qualitySchema.nullable().catch(null).parse(panel.row.quality),
    isReference: panel === reference,
  }));
}

export function toPatchPanel(row: Projection): PatchProjectionPanel {
  if (row.mode !== "patch")
    throw new AppError("BAD_INPUT", `Projection ${row.id} is not a patch projection.`);
  let start = 0;
  const images = patchPointsSchema.parse(row.points).images.map((image) => {
    const range = { ...image, start };
    start += image.count;
    return range;
  });
  return {
    source: row.source,
    projectionId: row.id,
    method: row.method as ProjectionMethodName,
    params: row.params as Record<string, unknown>,
    images,
    coords: encodeCoords(decodeCoords(row.coords)),
    quality: qualitySchema.nullable().catch(null).parse(row.quality),
  };
}

interface DecodedPanel {
  imageIds: string[];
  coords: Float32Array; // [n, 2]
}

// Fewer shared points than this cannot fix a similarity transform robustly; such panels stay as computed.
const MIN_SHARED_POINTS = 3;

/** The moving panel mapped by the similarity transform that best fits its shared images onto the reference's. */
function alignOnSharedImages(reference: DecodedPanel, moving: DecodedPanel): Float32Array {
  const referenceRow = new Map(reference.imageIds.map((id, i) => [id, i]));
  const pairs: [number, number][] = [];
  moving.imageIds.forEach((id, i) => {
    const r = referenceRow.get(id);
    if (r !== undefined) pairs.push([r, i]);
  });
  if (pairs.length < MIN_SHARED_POINTS) return moving.coords;
  const a = new Float64Array(pairs.length * 2); // [shared, 2] reference
  const b = new Float64Array(pairs.length * 2); // [shared, 2] moving
  pairs.forEach(([r, m], p) => {
    a[2 * p] = reference.coords[2 * r] as number;
    a[2 * p + 1] = reference.coords[2 * r + 1] as number;
    b[2 * p] = moving.coords[2 * m] as number;
    b[2 * p + 1] = moving.coords[2 * m + 1] as number;
  });
  const fit = procrustesAlign({ data: a, dims: [pairs.length, 2] }, { data: b, dims: [pairs.length, 2] });
  // Apply the fitted map to every moving point (not only the shared ones): x ↦ s (x − μ_b) R + μ_a.
  const [ax, ay] = mean2(a);
  const [bx, by] = mean2(b);
  const [r00, r01, r10, r11] = fit.rotation as unknown as [number, number, number, number];
  const out = new Float32Array(moving.coords.length);
  for (let i = 0; i < moving.coords.length / 2; i++) {
    const x = (moving.coords[2 * i] as number) - bx;
    const y = (moving.coords[2 * i + 1] as number) - by;
    out[2 * i] = fit.scale * (x * r00 + y * r10) + ax;
    out[2 * i + 1] = fit.scale * (x * r01 + y * r11) + ay;
  }
  return out;
}

function mean2(data: Float64Array): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = 0; i < data.length; i += 2) {
    x += data[i] as number;
    y += data[i + 1] as number;
  }
  const n = Math.max(1, data.length / 2);
  return [x / n, y / n];
}

/** Stored coordinate bytes → Float32Array (copied: SQLite blobs arrive at arbitrary offsets). */
export function decodeCoords(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export function encodeCoords(coords: Float32Array): string {
  return Buffer.from(coords.buffer, coords.byteOffset, coords.byteLength).toString("base64");
}

/** Float32Array → bytes for the `coords` column. */
export function coordsBytes(coords: Float32Array): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(coords.byteLength);
  bytes.set(new Uint8Array(coords.buffer, coords.byteOffset, coords.byteLength));
  return bytes;
}
