import { clusterText } from "~/lib/viz/cluster-keywords";
import { type AnalysisPoint, listAnalysisPoints } from "~/server/services/analysis/list-analysis-points";
import type { Db } from "~/server/store/db";
import { datasetOrder } from "./dataset-order";

export type IndexedPoint = AnalysisPoint & { index: number };

/**
 * Names, captions, labels and answers of a few points of a run (hover, gallery, the opened image), by point
 * index or by image id, in the order asked; indices and images outside the run's dataset are left out.
 */
export async function getPointDetails(options: {
  db: Db;
  runId: string;
  indices?: readonly number[];
  imageIds?: readonly string[];
}): Promise<IndexedPoint[]> {
  const { db, runId } = options;
  const order = await datasetOrder(db, runId);
  const wanted: { index: number; imageId: string }[] = [];
  for (const index of options.indices ?? []) {
    const imageId = order.imageIds[index];
    if (imageId !== undefined) wanted.push({ index, imageId });
  }
  if (options.imageIds !== undefined) {
    const asked = new Set(options.imageIds);
    order.imageIds.forEach((imageId, index) => {
      if (asked.has(imageId)) wanted.push({ index, imageId });
    });
    const position = new Map(options.imageIds.map((imageId, i) => [imageId, i]));
    wanted.sort((a, b) => (position.get(a.imageId) ?? 0) - (position.get(b.imageId) ?? 0));
  }
  if (wanted.length === 0) return [];
  const points = await listAnalysisPoints({ db, runId, imageIds: wanted.map((w) => w.imageId) });
  const byId = new Map(points.map((point) => [point.imageId, point]));
  return wanted.flatMap(({ index, imageId }) => {
    const point = byId.get(imageId);
    return point === undefined ? [] : [{ ...point, index }];
  });
}

/** What clusters are named from (lib/viz/cluster-keywords.ts) for these points, in the order asked. */
export async function getClusterTexts(options: {
  db: Db;
  runId: string;
  indices: readonly number[];
}): Promise<(string | null)[]> {
  const details = await getPointDetails(options);
  const textOf = new Map(details.map((point) => [point.index, clusterText(point)]));
  return options.indices.map((index) => textOf.get(index) ?? null);
}
