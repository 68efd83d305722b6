import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";
import type { DatasetItemDto } from "./dataset-types";
import type { Labels, LabelValue } from "./parse-manifest";

/** A page of a dataset's items in dataset order (manifest or upload order), with their images. */
export async function listDatasetItems(options: {
  db: Db;
  datasetId: string;
  offset?: number;
  limit?: number;
}): Promise<{ total: number; items: DatasetItemDto[] }> {
  const { db, datasetId } = options;
  const dataset = await db.dataset.findUnique({
    where: { id: datasetId },
    select: { _count: { select: { items: true } } },
  });
  if (!dataset) throw new AppError("NOT_FOUND", `No dataset with id ${datasetId}.`);
  const rows = await db.datasetItem.findMany({
    where: { datasetId },
    orderBy: { position: "asc" },
    skip: options.offset ?? 0,
    take: options.limit ?? 100,
    include: { image: true },
  });
  return {
    total: dataset._count.items,
    items: rows.map((row) => ({
      itemId: row.id,
      position: row.position,
      fileName: row.fileName,
      caption: row.caption,
      labels: toLabels(row.labels),
      split: row.split,
      imageId: row.imageId,
      sha256: row.image.sha256,
      width: row.image.width,
      height: row.image.height,
      format: row.image.format,
      problem: row.image.problem,
      thumbnailUrl: row.image.thumbnailPath === null ? null : `/api/images/${row.image.sha256}/thumbnail`,
    })),
  };
}

/** Labels as stored (a JSON object of scalars); anything else in the column is not shown as labels. */
function toLabels(value: unknown): Labels | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const labels: Labels = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || ["string", "number", "boolean"].includes(typeof item))
      labels[key] = item as LabelValue;
  }
  return labels;
}
