import { float32OfBase64 } from "~/lib/codec/base64";
import type { PanelFrameMeta } from "~/lib/viz/point-table";
import { AppError } from "~/server/app-error";
import { getProjections } from "~/server/services/analysis/get-projections";
import type { Db } from "~/server/store/db";
import { datasetOrder } from "./dataset-order";

/**
 * One pooled panel of the explorer as typed arrays: its coordinates, aligned to the reference projection, and
 * each row's point index in the run's point order (lib/viz/point-table.ts); rows whose image left the dataset
 * are dropped. The projection may belong to any run of the same dataset (panels from two runs side by side).
 */
export async function getPanelPoints(options: {
  db: Db;
  runId: string;
  projectionId: string;
  referenceProjectionId?: string;
}): Promise<{ meta: PanelFrameMeta; coords: Float32Array; pointIndex: Uint32Array }> {
  const { db, runId, projectionId } = options;
  const referenceId = options.referenceProjectionId || projectionId;
  const ids = [...new Set([projectionId, referenceId])];
  const order = await datasetOrder(db, runId);
  const rows = await db.projection.findMany({
    where: { id: { in: ids } },
    select: { id: true, mode: true, run: { select: { id: true, name: true, datasetId: true } } },
  });
  for (const id of ids) {
    const row = rows.find((r) => r.id === id);
    if (row === undefined || row.mode !== "pooled" || row.run.datasetId !== order.datasetId)
      throw new AppError(
        "NOT_FOUND",
        `No image layout ${id} on this run's dataset; it may have been deleted.`,
      );
  }
  const { panels } = await getProjections({ db, projectionIds: ids, referenceProjectionId: referenceId });
  const panel = panels.find((p) => p.projectionId === projectionId);
  const run = rows.find((r) => r.id === projectionId)?.run;
  if (panel === undefined || run === undefined)
    throw new AppError("NOT_FOUND", `No projection ${projectionId}.`);
  const all = float32OfBase64(panel.coords);
  const indexOfImage = new Map(order.imageIds.map((imageId, index) => [imageId, index]));
  const coords = new Float32Array(all.length);
  const pointIndex = new Uint32Array(panel.imageIds.length);
  let kept = 0;
  panel.imageIds.forEach((imageId, row) => {
    const index = indexOfImage.get(imageId);
    if (index === undefined) return;
    coords[2 * kept] = all[2 * row] as number;
    coords[2 * kept + 1] = all[2 * row + 1] as number;
    pointIndex[kept++] = index;
  });
  return {
    meta: {
      source: panel.source,
      projectionId: panel.projectionId,
      runId: run.id,
      runName: run.name,
      quality:
        panel.quality === null
          ? null
          : {
              trustworthiness: panel.quality.trustworthiness,
              knnRecall: panel.quality.knnRecall,
              k: panel.quality.k,
            },
    },
    coords: coords.slice(0, 2 * kept),
    pointIndex: pointIndex.slice(0, kept),
  };
}
