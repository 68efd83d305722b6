import { z } from "zod";
import { applyProcrustes, procrustesAlign } from "~/lib/analysis/procrustes";
import { base64OfTypedArray, float32OfBytes } from "~/lib/codec/base64";
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
    return {
      row,
      imageIds: pooledPointsSchema.parse(row.points).imageIds,
      coords: float32OfBytes(row.coords),
    };
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
    coords: base64OfTypedArray(panel === reference ? panel.coords : alignOnSharedImages(reference, panel)),
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
    coords: base64OfTypedArray(float32OfBytes(row.coords)),
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
    a.set(reference.coords.subarray(2 * r, 2 * r + 2), 2 * p);
    b.set(moving.coords.subarray(2 * m, 2 * m + 2), 2 * p);
  });
  const fit = procrustesAlign({ data: a, dims: [pairs.length, 2] }, { data: b, dims: [pairs.length, 2] });
  // The fitted map moves every point of the panel, not only the shared ones.
  return Float32Array.from(applyProcrustes(fit, moving.coords));
}
