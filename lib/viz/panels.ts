import { NO_CLUSTER } from "./colour-by";
import { normalizeCoords, sharedExtent } from "./coords";
import { kmeans2d } from "./kmeans";
import type { PanelFrameMeta } from "./point-table";

/** A panel as the server sends it (app/api/runs/[runId]/points/[projectionId]): one source's aligned layout. */
export interface PanelInput {
  meta: PanelFrameMeta;
  /** Aligned coordinates [rows, 2]. */
  coords: Float32Array;
  /** Row i is point `pointIndex[i]` of the run's point table. */
  pointIndex: Uint32Array;
}

/** What a selection must offer the panels: membership and a size (lib/viz/point-set.ts, or a Set). */
export interface IndexSet {
  readonly size: number;
  has(index: number): boolean;
}

/** A panel ready to draw and to link: coordinates in [-1, 1]² and each row's index in the run's point list. */
export interface DecodedPanel {
  source: string;
  projectionId: string;
  /** The source, named with its run when the panel is another run's (panels of two runs side by side). */
  title: string;
  quality: PanelFrameMeta["quality"];
  /** As computed (aligned), for CSV export: [n, 2]. */
  raw: Float32Array;
  /** In the explorer's shared [-1, 1]² frame: [n, 2]. */
  coords: Float32Array;
  /** Row i of this panel is point `pointIndex[i]` of the run's point list. */
  pointIndex: Uint32Array;
}

/**
 * Puts every panel into one shared frame (their common extent), keeping only rows whose point is among the
 * `pointCount` points, so panel rows always resolve to points. Panels of runs other than `runId` are titled with
 * their run's name.
 */
export function decodePanels(
  panels: readonly PanelInput[],
  pointCount: number,
  runId?: string,
): DecodedPanel[] {
  const decoded = panels.map((panel) => {
    const { coords, pointIndex } = panel;
    if (coords.length !== pointIndex.length * 2)
      throw new Error(
        `${panel.meta.source}: ${coords.length / 2} coordinates for ${pointIndex.length} points`,
      );
    let isAllKnown = true;
    for (const index of pointIndex) if (index >= pointCount) isAllKnown = false;
    if (isAllKnown) return { panel, raw: coords, pointIndex };
    const rows: number[] = [];
    pointIndex.forEach((index, row) => {
      if (index < pointCount) rows.push(row);
    });
    const raw = new Float32Array(rows.length * 2);
    rows.forEach((row, i) => {
      raw[2 * i] = coords[2 * row] as number;
      raw[2 * i + 1] = coords[2 * row + 1] as number;
    });
    return { panel, raw, pointIndex: Uint32Array.from(rows, (row) => pointIndex[row] as number) };
  });
  const extent = sharedExtent(decoded.map((d) => d.raw));
  return decoded.map(({ panel, raw, pointIndex }) => ({
    source: panel.meta.source,
    projectionId: panel.meta.projectionId,
    title:
      runId === undefined || panel.meta.runId === runId
        ? panel.meta.source
        : `${panel.meta.runName} · ${panel.meta.source}`,
    quality: panel.meta.quality,
    raw,
    coords: normalizeCoords(raw, extent),
    pointIndex,
  }));
}

/** The quality line shown under a panel's title and in figures. */
export function describeQuality(quality: DecodedPanel["quality"]): string {
  if (quality === null) return "quality: too few points to score";
  return `trustworthiness ${quality.trustworthiness.toFixed(3)} · ${quality.k}-NN recall ${quality.knnRecall.toFixed(3)}`;
}

/** Panel rows whose points are in `selected` (indices into the point list), in row order. */
export function rowsOfPoints(panel: DecodedPanel, selected: IndexSet): Uint32Array {
  if (selected.size === 0) return new Uint32Array(0);
  const rows = new Uint32Array(Math.min(selected.size, panel.pointIndex.length));
  let k = 0;
  for (let row = 0; row < panel.pointIndex.length && k < rows.length; row++)
    if (selected.has(panel.pointIndex[row] as number)) rows[k++] = row;
  return rows.slice(0, k);
}

/** Point-list indices of panel rows. */
export function pointsOfRows(panel: DecodedPanel, rows: ArrayLike<number>): Uint32Array {
  // A loop, not Uint32Array.from with a mapping callback (a call per row): a lasso can hold a million rows.
  const points = new Uint32Array(rows.length);
  for (let i = 0; i < rows.length; i++) points[i] = panel.pointIndex[rows[i] as number] as number;
  return points;
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
