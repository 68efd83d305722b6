import { createHash } from "node:crypto";
import { canonicalJson } from "~/lib/analysis/projection-key";
import type { JobKind, JobQueue } from "~/server/jobs/job-queue";
import type { Db } from "~/server/store/db";

/**
 * Enqueues a job unless one with the same request is already queued or running, whose id is returned instead:
 * repeated clicks and several viewers of one view share one computation. `request` must be JSON.
 */
export async function enqueueOnce(options: {
  db: Db;
  queue: JobQueue;
  kind: JobKind;
  request: Record<string, unknown>;
}): Promise<string> {
  const requestKey = createHash("sha256").update(canonicalJson(options.request)).digest("hex");
  // SQLite has no JSON path filters in Prisma: the active jobs of a kind are few, so match their payloads here.
  const active = await options.db.job.findMany({
    where: { kind: options.kind, status: { in: ["queued", "running"] } },
    select: { id: true, payload: true, error: true },
    orderBy: { createdAt: "asc" },
  });
  const same = active.find(
    (job) =>
      job.error === null && (job.payload as { requestKey?: unknown } | null)?.requestKey === requestKey,
  );
  if (same !== undefined) return same.id;
  return options.queue.enqueue(options.kind, { ...options.request, requestKey });
}
