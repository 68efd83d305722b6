import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import { runJobLifecycle } from "~/server/jobs/job-lifecycle";
import type { Db } from "~/server/store/db";
import { createTestDatabase } from "../helpers/synthetic-analysis-run";

let db: Db;
let cleanup: () => Promise<void>;
let queue: EmbeddedJobQueue;
const claim = (jobId: string, workerId: string, staleAfterMs = 60_000) =>
  queue.claim({ workerId, kinds: ["alignment", "encode-run", "projection"], staleAfterMs, jobId });

beforeAll(async () => {
  ({ db, cleanup } = await createTestDatabase("lens-job-queue-"));
  queue = new EmbeddedJobQueue(db);
});

afterAll(async () => {
  await cleanup?.();
});

const alignment = (runId: string) => ({ runId, batchSize: 4, seed: 0, steps: 10 });

describe("the embedded job queue", () => {
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
});
