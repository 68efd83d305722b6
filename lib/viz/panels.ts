import { NO_CLUSTER } from "./colour-by";
import { decodeCoords, normalizeCoords, sharedExtent } from "./coords";
import { kmeans2d } from "./kmeans";

/** A panel as the server sends it (analysis.projections): one source's aligned layout. */
export interface PanelInput {
  source: string;
  projectionId: string;
  imageIds: string[];
  /** base64 little-endian Float32Array [imageIds.length, 2]. */
  coords: string;
  quality: { trustworthiness: number; knnRecall: number; k: number } | null;
}

/** A panel ready to draw and to link: coordinates in [-1, 1]² and each row's index in the run's point list. */
export interface DecodedPanel {
  source: string;
  projectionId: string;
  quality: PanelInput["quality"];
  /** As computed (aligned), for CSV export: [n, 2]. */
  raw: Float32Array;
  /** In the explorer's shared [-1, 1]² frame: [n, 2]. */
  coords: Float32Array;
  /** Row i of this panel is point `pointIndex[i]` of the run's point list. */
  pointIndex: Uint32Array;
}

/**
 * Decodes every panel into one shared frame (their common extent), keeping only rows whose image is in the
 * point list, so panel rows always resolve to points.
 */
export function decodePanels(
  panels: readonly PanelInput[],
  indexOfImage: ReadonlyMap<string, number>,
): DecodedPanel[] {
  const decoded = panels.map((panel) => {
    const all = decodeCoords(panel.coords);
    if (all.length !== panel.imageIds.length * 2)
      throw new Error(`${panel.source}: ${all.length / 2} coordinates for ${panel.imageIds.length} images`);
    const rows: number[] = [];
    const pointIndex: number[] = [];
    panel.imageIds.forEach((imageId, row) => {
      const index = indexOfImage.get(imageId);
      if (index === undefined) return;
      rows.push(row);
      pointIndex.push(index);
    });
    const raw = new Float32Array(rows.length * 2);
    rows.forEach((row, i) => {
      raw[2 * i] = all[2 * row] as number;
      raw[2 * i + 1] = all[2 * row + 1] as number;
    });
    return { panel, raw, pointIndex: Uint32Array.from(pointIndex) };
  });
  const extent = sharedExtent(decoded.map((d) => d.raw));
  return decoded.map(({ panel, raw, pointIndex }) => ({
    source: panel.source,
    projectionId: panel.projectionId,
    quality: panel.quality,
    raw,
    coords: normalizeCoords(raw, extent),
    pointIndex,
  }));
}

/** The quality line shown under a panel's title and in figures. */
export function describeQuality(quality: PanelInput["quality"]): string {
  if (quality === null) return "quality: too few points to score";
  return `trustworthiness ${quality.trustworthiness.toFixed(3)} · ${quality.k}-NN recall ${quality.knnRecall.toFixed(3)}`;
}

/** Panel rows whose points are in `selected` (indices into the point list). */
export function rowsOfPoints(panel: DecodedPanel, selected: ReadonlySet<number>): number[] {
  const rows: number[] = [];
  if (selected.size === 0) return rows;
  for (let row = 0; row < panel.pointIndex.length; row++)
    if (selected.has(panel.pointIndex[row] as number)) rows.push(row);
  return rows;
}

/** Point-list indices of panel rows. */
export function pointsOfRows(panel: DecodedPanel, rows: readonly number[]): number[] {
  return rows.map((row) => panel.pointIndex[row] as number);
}

/** Values per point, reordered to the panel's rows. */
export function valuesForRows(panel: DecodedPanel, perPoint: Uint16Array): Uint16Array {
  const out = new Uint16Array(panel.pointIndex.length);
  for (let row = 0; row < out.length; row++) out[row] = perPoint[panel.pointIndex[row] as number] as number;
  return out;
}

/** Each point's k-means cluster in one panel's layout (NO_CLUSTER for points the panel lacks). */
export function pointClusters(panel: DecodedPanel, pointCount: number, k: number, seed: number): Uint16Array {
  const byRow = kmeans2d(panel.raw, k, seed);
  const clusters = new Uint16Array(pointCount).fill(NO_CLUSTER);
  for (let row = 0; row < byRow.length; row++)
    clusters[panel.pointIndex[row] as number] = byRow[row] as number;
  return clusters;
}

/**
 * Where each cluster's name goes on a panel: the row nearest the centroid of the cluster's rows (a real point, so
 * the label follows it under pan and zoom). Clusters without rows in the panel are left out.
 */
export function clusterAnchors(
  panel: DecodedPanel,
  clusters: Uint16Array,
  k: number,
): { cluster: number; row: number }[] {
  const sums = new Float64Array(3 * k);
  const n = panel.pointIndex.length;
  for (let row = 0; row < n; row++) {
    const c = clusters[panel.pointIndex[row] as number] ?? NO_CLUSTER;
    if (c >= k) continue;
    sums[3 * c] = (sums[3 * c] as number) + (panel.coords[2 * row] as number);
    sums[3 * c + 1] = (sums[3 * c + 1] as number) + (panel.coords[2 * row + 1] as number);
    sums[3 * c + 2] = (sums[3 * c + 2] as number) + 1;
  }
  const best = new Int32Array(k).fill(-1);
  const bestDistance = new Float64Array(k).fill(Infinity);
  for (let row = 0; row < n; row++) {
    const c = clusters[panel.pointIndex[row] as number] ?? NO_CLUSTER;
    if (c >= k) continue;
    const members = sums[3 * c + 2] as number;
    const dx = (panel.coords[2 * row] as number) - (sums[3 * c] as number) / members;
    const dy = (panel.coords[2 * row + 1] as number) - (sums[3 * c + 1] as number) / members;
    const distance = dx * dx + dy * dy;
    if (distance < (bestDistance[c] as number)) {
      bestDistance[c] = distance;
      best[c] = row;
    }
  }
  return Array.from(best).flatMap((row, cluster) => (row < 0 ? [] : [{ cluster, row }]));
}
