import type { Db } from "~/server/store/db";

// A worker reports every 5 s (server/jobs/worker-presence.ts): one silent for longer has stopped or lost its database.
const SILENT_AFTER_MS = 20_000;
// Rows of workers killed without a chance to remove theirs are listed this long after their last report.
const FORGET_AFTER_MS = 60 * 60_000;

export interface WorkerSummary {
  id: string;
  host: string;
  pid: number;
  inferenceUrl: string;
  executionProvider: string | null;
  model: string | null;
  /** Images finished (stored or failed) per second over the last minute. */
  imagesPerSecond: number;
  currentJob: { id: string; kind: string } | null;
  startedAt: Date;
  lastHeartbeat: Date;
  isSilent: boolean;
}

/** The job workers that reported in the last hour, most recently heard first. */
export async function listWorkers(options: { db: Db; now?: Date }): Promise<WorkerSummary[]> {
  const now = options.now ?? new Date();
  const rows = await options.db.workerHeartbeat.findMany({
    where: { seenAt: { gte: new Date(now.getTime() - FORGET_AFTER_MS) } },
    orderBy: { seenAt: "desc" },
  });
  return rows.map((row) => ({
    id: row.id,
    host: row.host,
    pid: row.pid,
    inferenceUrl: row.inferenceUrl,
    executionProvider: row.executionProvider,
    model: row.model,
    imagesPerSecond: row.imagesLastMinute / 60,
    currentJob:
      row.currentJobId === null ? null : { id: row.currentJobId, kind: row.currentJobKind ?? "unknown" },
    startedAt: row.startedAt,
    lastHeartbeat: row.seenAt,
    isSilent: now.getTime() - row.seenAt.getTime() > SILENT_AFTER_MS,
  }));
}
