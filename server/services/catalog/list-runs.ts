import type { Db } from "~/server/store/db";

export const RUN_STATUSES = ["queued", "running", "cancelled", "completed", "failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunSummary {
  id: string;
  name: string;
  datasetId: string;
  datasetName: string;
  status: RunStatus;
  total: number;
  done: number;
  failed: number;
  createdAt: Date;
  finishedAt: Date | null;
}

/** Runs, newest first, with progress counts; only one dataset's with `datasetId`. */
export async function listRuns(options: {
  db: Db;
  limit?: number;
  datasetId?: string;
}): Promise<RunSummary[]> {
  const rows = await options.db.run.findMany({
    where: options.datasetId === undefined ? {} : { datasetId: options.datasetId },
    orderBy: { createdAt: "desc" },
    take: options.limit ?? 100,
    include: { dataset: { select: { name: true } } },
  });
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    datasetId: row.datasetId,
    datasetName: row.dataset.name,
    status: toRunStatus(row.status),
    total: row.total,
    done: row.done,
    failed: row.failed,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  }));
}

function toRunStatus(value: string): RunStatus {
  const status = RUN_STATUSES.find((known) => known === value);
  if (status === undefined) throw new Error(`Run status "${value}" is not one of ${RUN_STATUSES.join(", ")}`);
  return status;
}
