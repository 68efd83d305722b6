import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BullMqJobQueue } from "~/server/jobs/bullmq-job-queue";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import { JOB_KINDS } from "~/server/jobs/job-kinds";
import { runJobLifecycle } from "~/server/jobs/job-lifecycle";
import type { JobQueue } from "~/server/jobs/job-queue";
import type { Db } from "~/server/store/db";
import { createTestDatabase } from "../helpers/synthetic-analysis-run";
import { freshQueuePrefix, TEST_REDIS_URL } from "../helpers/test-queue";

const KINDS = JOB_KINDS;
const alignment = (runId: string) => ({ runId, batchSize: 4, seed: 0, steps: 10 });

/** Each implementation of the JobQueue port, built on one test database; BullMQ's keys under a fresh prefix. */
const implementations: { name: string; open: (db: Db, prefix: string, lockMs?: number) => JobQueue }[] = [
  { name: "embedded", open: (db) => new EmbeddedJobQueue(db) },
  ...(TEST_REDIS_URL === undefined
    ? []
    : [
        {
          name: "BullMQ",
          open: (db: Db, prefix: string, lockMs = 60_000) =>
            new BullMqJobQueue(db, { redisUrl: TEST_REDIS_URL ?? "", prefix, lockMs }),
        },
      ]),
];

describe.each(implementations)("the $name job queue", ({ name, open }) => {
  let db: Db;
  let cleanup: () => Promise<void>;
  let queue: JobQueue;
  const prefix = freshQueuePrefix();
  const claim = (jobId: string, workerId: string, staleAfterMs = 60_000) =>
    queue.claim({ workerId, kinds: KINDS, staleAfterMs, jobId });

  beforeAll(async () => {
    ({ db, cleanup } = await createTestDatabase("lens-job-queue-"));
    queue = open(db, prefix);
  });

  afterAll(async () => {
    await queue?.close();
    await cleanup?.();
  });

  it("enqueues once per key while a job is active, and anew once it is cancelled", async () => {
    const first = await queue.enqueue("alignment", alignment("r1"), { key: "k1" });
    expect(await queue.enqueue("alignment", alignment("r1"), { key: "k1" })).toBe(first);
    expect(await queue.enqueue("alignment", alignment("r1"), { key: "k2" })).not.toBe(first);
    await queue.requestCancel(first);
    expect(await queue.get(first)).toMatchObject({ status: "cancelled", error: null });
    expect(await queue.enqueue("alignment", alignment("r1"), { key: "k1" })).not.toBe(first);
  });

  it("keeps a cancel request on a running job as state, not as its error, until requeued", async () => {
    const id = await queue.enqueue("projection", {
      mode: "pooled",
      runId: "r2",
      sources: ["depth:V"],
      method: "pca",
      params: { nNeighbors: 15, minDist: 0.1, seed: 0 },
    });
    const claimed = await claim(id, "w1");
    expect(claimed?.id).toBe(id);
    await queue.requestCancel(id);
    expect(await queue.get(id)).toMatchObject({ status: "running", error: null, isCancelRequested: true });
    expect(await queue.isCancelRequested(id)).toBe(true);
    await queue.markCancelled(id);
    await queue.requeue(id);
    expect(await queue.get(id)).toMatchObject({ status: "queued", isCancelRequested: false });
    expect(await queue.isCancelRequested(id)).toBe(false);
  });

  it("hands a job whose worker went silent to another worker", async () => {
    const id = await queue.enqueue("alignment", alignment("r3"));
    expect((await claim(id, "w1"))?.id).toBe(id);
    expect(await claim(id, "w2")).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await claim(id, "w2", 10))?.id).toBe(id);
  });

  it("fails a job whose payload does not fit its kind, naming the field; finds a run's latest result", async () => {
    const bad = await db.$transaction((tx) =>
      queue.enqueue("alignment", alignment("r4"), { transaction: tx }),
    );
    // As a worker would claim it from a producer that wrote a payload of another shape.
    const malformed = { id: bad, kind: "alignment" as const, payload: { runId: "r4", batchSize: "many" } };
    const outcome = await runJobLifecycle({ queue, workerId: "w" }, malformed, "alignment", {
      run: async () => {
        throw new Error("the handler must not run");
      },
    });
    expect(outcome).toBe("failed");
    expect(await queue.get(bad)).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/batchSize/),
    });

    const done = await queue.enqueue("alignment", alignment("r4"));
    await queue.complete(done, { rows: [] });
    expect(await queue.latestCompleted("alignment", "r4")).toMatchObject({ id: done, result: { rows: [] } });
    expect(await queue.latestCompleted("alignment", "nope")).toBeNull();
  });

  it("fails an encode batch whose workers died holding it three times, and keeps resuming other kinds", async () => {
    const batch = await queue.enqueue("encode-batch", { runId: "poison", imageIds: ["i1"] });
    const run = await queue.enqueue("encode-run", { runId: "poison" });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await claim(batch, `w${attempt}`, 10))?.id).toBe(batch);
      expect((await claim(run, `w${attempt}`, 10))?.id).toBe(run);
      // The worker dies: no heartbeat, no end.
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(await claim(batch, "w4", 10)).toBeNull();
    expect(await queue.get(batch)).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/stopped 3 times/),
    });
    expect((await claim(run, "w4", 10))?.id).toBe(run);
    await queue.complete(run);
  });

  it("delivers every queued job once to one of several workers, oldest first, and nothing twice", async () => {
    const other = name === "embedded" ? queue : open(db, prefix);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await queue.enqueue("encode-run", { runId: `many-${i}` }));
    const taken: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [i, worker] of [queue, other].entries()) {
        const job = await worker.claim({ workerId: `w${i}`, kinds: ["encode-run"], staleAfterMs: 60_000 });
        if (job !== null) taken.push(job.id);
      }
    }
    expect(taken).toEqual(ids);
    expect(await queue.claim({ workerId: "w9", kinds: ["encode-run"], staleAfterMs: 60_000 })).toBeNull();
    for (const id of ids) await queue.complete(id);
    if (other !== queue) await other.close();
  });

  it("posts a job enqueued inside a transaction once it commits, and none for a rolled-back one", async () => {
    const rolledBack = await db
      .$transaction(async (tx) => {
        await queue.enqueue("encode-run", { runId: "tx-rolled-back" }, { transaction: tx });
        throw new Error("roll back");
      })
      .catch(() => "rolled back");
    expect(rolledBack).toBe("rolled back");
    const id = await db.$transaction((tx) =>
      queue.enqueue("encode-run", { runId: "tx-committed" }, { transaction: tx }),
    );
    // The relay runs at most once a second in a claiming process.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const job = await queue.claim({ workerId: "w1", kinds: ["encode-run"], staleAfterMs: 60_000 });
    expect(job).toMatchObject({ id, payload: { runId: "tx-committed" } });
    await queue.complete(id);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await queue.claim({ workerId: "w1", kinds: ["encode-run"], staleAfterMs: 60_000 })).toBeNull();
  });

  it("gives the job of a worker that stopped heartbeating to another worker, without naming it", async () => {
    // Two processes of a deployment whose deliveries stay locked 600 ms without a heartbeat.
    const staleAfterMs = 600;
    const shortPrefix = `${prefix}-short`;
    const dead = open(db, shortPrefix, staleAfterMs);
    const other = open(db, shortPrefix, staleAfterMs);
    const id = await dead.enqueue("encode-run", { runId: "silent" });
    expect((await dead.claim({ workerId: "dead", kinds: ["encode-run"], staleAfterMs }))?.id).toBe(id);
    expect(await other.claim({ workerId: "alive", kinds: ["encode-run"], staleAfterMs })).toBeNull();
    let taken: string | undefined;
    const deadline = Date.now() + 10_000;
    while (taken === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      taken = (await other.claim({ workerId: "alive", kinds: ["encode-run"], staleAfterMs }))?.id;
    }
    expect(taken).toBe(id);
    await other.complete(id);
    expect(await queue.get(id)).toMatchObject({ status: "completed" });
    await dead.close();
    await other.close();
  });
});
