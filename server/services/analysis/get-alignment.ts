import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import type { Db } from "~/server/store/db";
import {
  type AlignmentResult,
  type AlignmentRow,
  type AlignmentRun,
  alignmentResultSchema,
} from "./alignment-types";

export interface AlignmentView extends Omit<AlignmentResult, "probes" | "runs" | "rows"> {
  /** The compared runs, the requested one first (one for a one-run analysis). */
  runs: AlignmentRun[];
  rows: (AlignmentRow & { runId: string; label: string })[];
  jobId: string;
  computedAt: Date;
}

/** The latest completed alignment analysis of a run (requested on it), or null when there is none yet. */
export async function getAlignment(options: {
  db: Db;
  queue: JobQueue;
  runId: string;
}): Promise<AlignmentView | null> {
  const run = await options.db.run.findUnique({
    where: { id: options.runId },
    select: { id: true, name: true },
  });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${options.runId}.`);
  const latest = await options.queue.latestCompleted("alignment", run.id);
  if (latest === null) return null;
  const parsed = alignmentResultSchema.safeParse(latest.result);
  if (!parsed.success) return null;
  // The probes serve text search on the server; the charts do not need their weights.
  const { probes: _probes, runs, rows, ...view } = parsed.data;
  return {
    ...view,
    // One-run analyses made before runs were compared name neither: they are all the requested run's.
    runs: runs ?? [{ runId: run.id, name: run.name, label: run.name, isTextRun: true }],
    rows: rows.map((row) => ({ ...row, runId: row.runId ?? run.id, label: row.label ?? row.source })),
    jobId: latest.id,
    computedAt: latest.updatedAt,
  };
}
