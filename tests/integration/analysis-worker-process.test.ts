import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import { getJob } from "~/server/services/analysis/get-job";
import { requestProjections } from "~/server/services/analysis/request-projections";
import type { Db } from "~/server/store/db";
import { type RunningProcess, startBin, waitUntil } from "../helpers/processes";
import { createSyntheticAnalysisRun, createTestDatabase } from "../helpers/synthetic-analysis-run";

let db: Db;
let cleanup: () => Promise<void>;
let worker: RunningProcess;

beforeAll(async () => {
  let dataDir: string;
  ({ db, dataDir, cleanup } = await createTestDatabase("lens-analysis-worker-"));
  // The real worker process (tsx), as `npm start` runs it: its compute threads load TypeScript too.
  worker = startBin("tsx", ["server/jobs/worker-main.ts"], { DATA_DIR: dataDir, JOB_STALE_AFTER_MS: "5000" });
});

afterAll(async () => {
  await worker?.stop();
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
      queue: new EmbeddedJobQueue(db),
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
