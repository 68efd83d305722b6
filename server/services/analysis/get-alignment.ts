import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";
import { type AlignmentResult, alignmentResultSchema } from "./alignment-types";

export interface AlignmentView extends AlignmentResult {
  jobId: string;
  computedAt: Date;
}

// Completed alignment jobs are looked through newest first, this many at most, for the run's latest.
const SCAN_LIMIT = 200;

/** The latest completed alignment analysis of a run, or null when there is none yet. */
export async function getAlignment(options: { db: Db; runId: string }): Promise<AlignmentView | null> {
  const run = await options.db.run.findUnique({ where: { id: options.runId }, select: { id: true } });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${options.runId}.`);
  // The run id lives in the JSON payload (no JSON path filters on SQLite): match it here.
  const jobs = await options.db.job.findMany({
    where: { kind: "alignment", status: "completed" },
    orderBy: { updatedAt: "desc" },
    take: SCAN_LIMIT,
    select: { id: true, payload: true, updatedAt: true },
  });
  const latest = jobs.find((job) => (job.payload as { runId?: unknown } | null)?.runId === run.id);
  if (latest === undefined) return null;
  const row = await options.db.job.findUniqueOrThrow({ where: { id: latest.id }, select: { result: true } });
  const parsed = alignmentResultSchema.safeParse(row.result);
  if (!parsed.success) return null;
  return { ...parsed.data, jobId: latest.id, computedAt: latest.updatedAt };
}
