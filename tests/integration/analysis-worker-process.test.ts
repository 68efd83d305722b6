import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobQueue } from "~/server/jobs/job-queue";
import { getJob } from "~/server/services/analysis/get-job";
import { requestProjections } from "~/server/services/analysis/request-projections";
import type { Db } from "~/server/store/db";
import { type RunningProcess, startBin, waitUntil } from "../helpers/processes";
import { createSyntheticAnalysisRun, createTestDatabase } from "../helpers/synthetic-analysis-run";
import { freshQueuePrefix, openTestQueue, testQueueEnv } from "../helpers/test-queue";

let db: Db;
let cleanup: () => Promise<void>;
let worker: RunningProcess;
let queue: JobQueue;
const prefix = freshQueuePrefix();

beforeAll(async () => {
  let dataDir: string;
  let databaseUrl: string;
  ({ db, dataDir, databaseUrl, cleanup } = await createTestDatabase("lens-analysis-worker-"));
  queue = openTestQueue(db, { prefix });
  // The real worker process (tsx), as `npm start` runs it: its compute threads load TypeScript too.
  worker = startBin("tsx", ["server/jobs/worker-main.ts"], {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    JOB_STALE_AFTER_MS: "5000",
    ...testQueueEnv(prefix),
  });
});

afterAll(async () => {
  await worker?.stop();
  await queue?.close();
  await cleanup?.();
});

describe("the worker process", () => {
  it("claims projection jobs and computes them in a compute thread", { timeout: 90_000 }, async () => {
    const run = await createSyntheticAnalysisRun({
      db,
      name: "worker clusters",
      images: 60,
      clusters: 3,
      sources: [{ name: "depth:V", dim: 12, kind: "latent" }],
    });
    const request = {
      db,
      queue,
      runId: run.runId,
      sources: ["depth:V"],
      method: "umap" as const,
      params: { nNeighbors: 8, minDist: 0.1, seed: 0, nEpochs: 60 },
    };
    const pending = await requestProjections(request);
    if (pending.status !== "pending") throw new Error("expected a job");
    await waitUntil(
      async () => (await getJob({ queue: request.queue, jobId: pending.jobId })).status === "completed",
      60_000,
      `the projection job (${worker.output()})`,
    );
    const ready = await requestProjections(request);
    expect(ready.status).toBe("ready");
    if (ready.status === "ready") expect(ready.panels[0]?.imageIds).toEqual(run.imageIds);
  });
});
