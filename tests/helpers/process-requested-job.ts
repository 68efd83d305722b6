import type { JobKind } from "~/server/jobs/job-kinds";
import { processJob, type WorkerDeps } from "~/server/jobs/run-worker";

/** Claims the requested job `jobId` of `kind` on the worker's queue and processes it there, as the worker does. */
export async function processRequestedJob(deps: WorkerDeps, kind: JobKind, jobId: string): Promise<void> {
  const job = await deps.queue.claim({
    workerId: deps.workerId,
    kinds: [kind],
    staleAfterMs: deps.staleAfterMs,
    jobId,
  });
  if (job?.id !== jobId)
    throw new Error(`the ${kind} job ${jobId} was not claimable (got ${job?.id ?? "none"})`);
  await processJob(deps, job);
}
