import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";
import { listRuns, type RunSummary } from "../catalog/list-runs";
import type { DatasetDto } from "./dataset-types";

/** A dataset's page: what it is, the files that could not be read (with why), its label names and its runs. */
export interface DatasetDetail extends DatasetDto {
  /** Items that are readable images. */
  imageCount: number;
  problems: { itemId: string; fileName: string; problem: string }[];
  /** Label names found in the manifest, in first-seen order. */
  labelNames: string[];
  captionCount: number;
  runs: RunSummary[];
}

// A dataset page lists at most this many unreadable files; the count says how many there are in all.
const MAX_LISTED_PROBLEMS = 500;

export async function getDataset(options: { db: Db; datasetId: string }): Promise<DatasetDetail> {
  const { db, datasetId } = options;
  const dataset = await db.dataset.findUnique({
    where: { id: datasetId },
    include: { _count: { select: { items: true } } },
  });
  if (dataset === null) throw new AppError("NOT_FOUND", `No dataset with id ${datasetId}.`);
  const [problemRows, labelRows, captionCount, runs] = await Promise.all([
    db.datasetItem.findMany({
      where: { datasetId, image: { problem: { not: null } } },
      orderBy: { position: "asc" },
      take: MAX_LISTED_PROBLEMS,
      select: { id: true, fileName: true, image: { select: { problem: true } } },
    }),
    db.datasetItem.findMany({
      where: { datasetId },
      orderBy: { position: "asc" },
      take: 200, // label names are the manifest's columns: the first rows carry them
      select: { labels: true },
    }),
    db.datasetItem.count({ where: { datasetId, caption: { not: null } } }),
    listRuns({ db, datasetId }),
  ]);
  const problemCount = await db.datasetItem.count({
    where: { datasetId, image: { problem: { not: null } } },
  });
  const labelNames = new Set<string>();
  for (const row of labelRows) {
    if (typeof row.labels === "object" && row.labels !== null && !Array.isArray(row.labels))
      for (const key of Object.keys(row.labels)) labelNames.add(key);
  }
  return {
    id: dataset.id,
    name: dataset.name,
    source: dataset.source,
    rootPath: dataset.rootPath,
    itemCount: dataset._count.items,
    createdAt: dataset.createdAt,
    imageCount: dataset._count.items - problemCount,
    problems: problemRows.map((row) => ({
      itemId: row.id,
      fileName: row.fileName,
      problem: row.image.problem ?? "",
    })),
    labelNames: [...labelNames],
    captionCount,
    runs,
  };
}
