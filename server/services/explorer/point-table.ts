import { colourPoints, defaultColourBy, labelKeys, parseColourBy } from "~/lib/viz/colour-by";
import { POINT_STATUSES, type PointTableMeta } from "~/lib/viz/point-table";
import { listAnalysisPoints } from "~/server/services/analysis/list-analysis-points";
import type { Db } from "~/server/store/db";

/**
 * The run's point table (lib/viz/point-table.ts) under one colouring (`colourBy` as in the view state; empty:
 * the default): each point's status and colour code in dataset order, the legend and the label keys.
 */
export async function getPointTable(options: {
  db: Db;
  runId: string;
  colourBy: string;
}): Promise<{ meta: PointTableMeta; status: Uint8Array; codes: Uint16Array }> {
  const points = await listAnalysisPoints({ db: options.db, runId: options.runId });
  const colourBy = options.colourBy === "" ? defaultColourBy(points) : options.colourBy;
  const categories = colourPoints(points, parseColourBy(colourBy));
  const status = Uint8Array.from(points, (point) => POINT_STATUSES.indexOf(point.status));
  return {
    meta: { count: points.length, colourBy, legend: categories.legend, labelKeys: labelKeys(points) },
    status,
    codes: categories.codes,
  };
}
