import path from "node:path";
import { EmbeddedJobQueue } from "~/server/jobs/job-queue";
import { ensureDemoDataset } from "~/server/services/datasets/ensure-demo-dataset";
import type { InferenceClient } from "~/server/services/inference-client";
import { createRun } from "~/server/services/runs/create-run";
import { getRunProgress } from "~/server/services/runs/get-run";
import type { Db } from "~/server/store/db";

export const DEMO_RUN_NAME = "demo: florence-vl-mini scenes";
// The inference server loads its model within seconds; allow for a slow first start.
const MODEL_READY_TIMEOUT_MS = 120_000;

/**
 * First start: import the bundled demo scenes and queue their encoding with the bundled model (the job worker
 * encodes them); later starts find both and do nothing. Resolves when the demo run is complete.
 */
export async function ensureDemoRun(options: {
  db: Db;
  dataDir: string;
  root: string;
  inference: InferenceClient;
  log: (line: string) => void;
}): Promise<void> {
  const { db } = options;
  const demo = await ensureDemoDataset({
    db,
    dataDir: options.dataDir,
    demoDir: path.join(options.root, "demo", "florence-vl-mini-scenes"),
  });
  if (demo.isCreated)
    options.log(`imported the demo dataset (${demo.report?.dataset.itemCount ?? "?"} images)`);
  let run = await db.run.findUnique({ where: { name: DEMO_RUN_NAME } });
  if (run === null) {
    const deadline = Date.now() + MODEL_READY_TIMEOUT_MS;
    for (;;) {
      const health = await options.inference.health.query().catch(() => null);
      if (health?.model.state === "ready") break;
      if (health?.model.state === "missing" || health?.model.state === "failed" || Date.now() > deadline) {
        options.log(
          `demo run skipped: the model is not available (${health ? health.model.state : "inference server down"})`,
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const created = await createRun({
      db,
      queue: new EmbeddedJobQueue(db),
      inference: options.inference,
      datasetId: demo.datasetId,
      name: DEMO_RUN_NAME,
    });
    run = await db.run.findUniqueOrThrow({ where: { id: created.id } });
    options.log("encoding the demo dataset with the bundled model (once)");
  }
  let lastLogged = "";
  for (;;) {
    const progress = await getRunProgress({ db, runId: run.id });
    const line = `demo run: ${progress.status} ${progress.done + progress.failed}/${progress.total}`;
    if (line !== lastLogged && (progress.done + progress.failed) % 50 === 0) options.log(line);
    lastLogged = line;
    if (["completed", "cancelled", "failed"].includes(progress.status)) {
      options.log(line);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
