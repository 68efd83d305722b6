import { decodeCoords, normalizeCoords, sharedExtent } from "./coords";
import type { DecodedPanel } from "./panels";

/** A patch-token layout as the server sends it: point i is patch `i − start` of the image whose range holds i. */
export interface PatchPanelInput {
  source: string;
  projectionId: string;
  images: { imageId: string; grid: [number, number]; start: number; count: number }[];
  /** base64 little-endian Float32Array [points, 2]. */
  coords: string;
  quality: DecodedPanel["quality"];
}

export interface DecodedPatchPanel extends DecodedPanel {
  images: PatchPanelInput["images"];
}

/**
 * Decodes a patch layout into the explorer's panel shape; each patch point links to its image's point, so
 * colouring by label, caption word or answer colours an image's patches alike.
 */
export function decodePatchPanel(
  panel: PatchPanelInput,
  indexOfImage: ReadonlyMap<string, number>,
): DecodedPatchPanel {
  const raw = decodeCoords(panel.coords);
  const total = panel.images.reduce((sum, image) => sum + image.count, 0);
  if (raw.length !== total * 2)
    throw new Error(`${panel.source}: ${raw.length / 2} coordinates for ${total} patches`);
  const pointIndex = new Uint32Array(total);
  for (const image of panel.images)
    pointIndex.fill(indexOfImage.get(image.imageId) ?? 0, image.start, image.start + image.count);
  return {
    source: panel.source,
    projectionId: panel.projectionId,
    title: panel.source,
    quality: panel.quality,
    raw,
    coords: normalizeCoords(raw, sharedExtent([raw])),
    pointIndex,
    images: panel.images,
  };
}

/** Selected patch points → for each image, the indices (row-major in its grid) of its selected patches. */
export function selectedPatchesByImage(
  images: DecodedPatchPanel["images"],
  rows: Iterable<number>,
): Map<string, Set<number>> {
  const byImage = new Map<string, Set<number>>();
  const sorted = [...rows].sort((a, b) => a - b);
  let image = 0;
  for (const row of sorted) {
    while (image < images.length) {
      const range = images[image];
      if (range !== undefined && row < range.start + range.count) break;
      image++;
    }
    const range = images[image];
    if (range === undefined || row < range.start) continue;
    const patches = byImage.get(range.imageId) ?? new Set<number>();
    patches.add(row - range.start);
    byImage.set(range.imageId, patches);
  }
  return byImage;
}

/** Rows whose legend code is `code`: a legend click selects a whole colour, e.g. one k-means cluster. */
export function rowsWithCode(codes: Uint16Array, code: number): number[] {
  const rows: number[] = [];
  for (let row = 0; row < codes.length; row++) if (codes[row] === code) rows.push(row);
  return rows;
}
