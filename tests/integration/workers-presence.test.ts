import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerPresence } from "~/server/jobs/worker-presence";
import { createInferenceClient } from "~/server/services/inference-client";
import { listWorkers } from "~/server/services/workers/list-workers";
import type { Db } from "~/server/store/db";
import { createTestDatabase } from "../helpers/synthetic-analysis-run";

let db: Db;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ db, cleanup } = await createTestDatabase("lens-workers-"));
});

afterAll(async () => {
  await cleanup?.();
});

describe("worker heartbeats and the workers list", () => {
  it("reports host, job and images/s over the last minute; marks a silent worker; forgets a stopped one", async () => {
    // Nothing listens on port 9: the worker's inference server is unreachable, which the list says.
    const inference = createInferenceClient({ url: "http://127.0.0.1:9", timeoutMs: 200 });
    const presence = new WorkerPresence({
      db,
      workerId: "host-a:1:abc",
      inference,
      inferenceUrl: "http://127.0.0.1:9",
    });
    const now = Date.now();
    presence.imagesFinished(12);
    presence.imagesFinished(18);
    expect(presence.imagesLastMinute(now)).toBe(30);
    expect(presence.imagesLastMinute(now + 61_000)).toBe(0);

    presence.imagesFinished(30);
    presence.jobStarted({ id: "job-1", kind: "encode-batch", payload: {} });
    await presence.report();
    const [listed] = await listWorkers({ db });
    expect(listed).toMatchObject({
      id: "host-a:1:abc",
      pid: process.pid,
      inferenceUrl: "http://127.0.0.1:9",
      executionProvider: null,
      model: null,
      imagesPerSecond: 0.5,
      currentJob: { id: "job-1", kind: "encode-batch" },
      isSilent: false,
    });
    const later = new Date(Date.now() + 30_000);
    expect((await listWorkers({ db, now: later }))[0]?.isSilent).toBe(true);
    expect(await listWorkers({ db, now: new Date(Date.now() + 2 * 3600_000) })).toEqual([]);

    presence.jobEnded();
    await presence.report();
    expect((await listWorkers({ db }))[0]?.currentJob).toBeNull();
    await presence.stop();
    expect(await listWorkers({ db })).toEqual([]);
  });
});
