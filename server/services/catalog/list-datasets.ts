import type { Db } from "~/server/store/db";

export interface DatasetSummary {
  id: string;
  name: string;
  source: string;
  imageCount: number;
  runCount: number;
  createdAt: Date;
}

/** Datasets, newest first, with their image and run counts. */
export async function listDatasets(options: { db: Db }): Promise<DatasetSummary[]> {
  const rows = await options.db.dataset.findMany({
    orderBy: { createdAt: "desc" },
    include: { _count: { select: { items: true, runs: true } } },
  });
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    source: row.source,
    imageCount: row._count.items,
    runCount: row._count.runs,
    createdAt: row.createdAt,
  }));
}
