import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import type { JobKind, JobPayload } from "~/server/jobs/job-kinds";
import type { EnqueueOptions } from "~/server/jobs/job-queue";
import { createRunWithJob, type NewRun } from "~/server/services/runs/run-status";
import type { Db } from "~/server/store/db";
import { createTestDatabase } from "../helpers/synthetic-analysis-run";

/** A queue whose process "crashes" (throws) just before, or just after, it writes the job. */
class CrashingQueue extends EmbeddedJobQueue {
  constructor(
    db: Db,
    private readonly when: "before enqueue" | "after enqueue",
  ) {
    super(db);
  }

  override async enqueue<K extends JobKind>(
    kind: K,
    payload: JobPayload<K>,
    options?: EnqueueOptions,
  ): Promise<string> {
    if (this.when === "before enqueue") throw new Error("crash before enqueue");
    await super.enqueue(kind, payload, options);
    throw new Error("crash after enqueue, before the run is linked to its job");
  }
}

let db: Db;
let cleanup: () => Promise<void>;
let newRun: (name: string) => NewRun;

beforeAll(async () => {
  ({ db, cleanup } = await createTestDatabase("lens-run-transaction-"));
  const dataset = await db.dataset.create({ data: { name: "empty", source: "upload" } });
  newRun = (name) => ({
    name,
    datasetId: dataset.id,
    modelDir: "models/none",
    modelHash: "hash",
    prompts: ["<OCR>"],
    sources: ["depth:V"],
    questions: [],
    dtype: "fp16",
    batchSize: 4,
    total: 0,
  });
});

afterAll(async () => {
  await cleanup?.();
});

describe("creating a run and its job", () => {
  for (const when of ["before enqueue", "after enqueue"] as const) {
    it(`leaves neither a run nor a job when the process crashes ${when}`, async () => {
      const name = `crash ${when}`;
      await expect(
        createRunWithJob({ db, queue: new CrashingQueue(db, when), run: newRun(name) }),
      ).rejects.toThrow(/crash/);
      expect(await db.run.findUnique({ where: { name } })).toBeNull();
      // No orphan job either: nothing is left for a worker to claim.
      const queue = new EmbeddedJobQueue(db);
      expect(await queue.claim({ workerId: "w", kinds: ["encode-run"], staleAfterMs: 60_000 })).toBeNull();
    });
  }

  it("links the run to its queued job when nothing crashes", async () => {
    const queue = new EmbeddedJobQueue(db);
    const created = await createRunWithJob({ db, queue, run: newRun("fine") });
    const run = await db.run.findUniqueOrThrow({ where: { id: created.id } });
    expect([run.status, run.jobId]).toEqual(["queued", created.jobId]);
    expect(await queue.get(created.jobId)).toMatchObject({ kind: "encode-run", status: "queued" });
    const claimed = await queue.claim({ workerId: "w", kinds: ["encode-run"], staleAfterMs: 60_000 });
    expect(claimed).toMatchObject({ id: created.jobId, payload: { runId: created.id } });
  });
});
