import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import type { Db } from "~/server/store/db";
import { type AlignmentResult, alignmentResultSchema } from "./alignment-types";

export interface AlignmentView extends Omit<AlignmentResult, "probes"> {
  jobId: string;
  computedAt: Date;
}

/** The latest completed alignment analysis of a run, or null when there is none yet. */
export async function getAlignment(options: {
  db: Db;
  queue: JobQueue;
  runId: string;
}): Promise<AlignmentView | null> {
  const run = await options.db.run.findUnique({ where: { id: options.runId }, select: { id: true } });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${options.runId}.`);
  const latest = await options.queue.latestCompleted("alignment", run.id);
  if (latest === null) return null;
  const parsed = alignmentResultSchema.safeParse(latest.result);
  if (!parsed.success) return null;
  // The probes serve text search on the server; the charts do not need their weights.
  const { probes: _probes, ...view } = parsed.data;
  return { ...view, jobId: latest.id, computedAt: latest.updatedAt };
}
