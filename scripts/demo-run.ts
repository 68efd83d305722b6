import path from "node:path";
import type { AppDeps } from "~/server/composition-root";
import { isActiveStatus } from "~/server/jobs/job-status";
import { ensureDemoDataset } from "~/server/services/datasets/ensure-demo-dataset";
import { createRun } from "~/server/services/runs/create-run";
import { ensureRun } from "~/server/services/runs/ensure-run";
import { getRunProgress } from "~/server/services/runs/get-run";

export const DEMO_RUN_NAME = "demo: florence-vl-mini scenes";
// The inference server loads its model within seconds; allow for a slow first start.
const MODEL_READY_TIMEOUT_MS = 120_000;

/**
 * First start: import the bundled demo scenes and queue their encoding with the bundled model (the job worker
 * encodes them); later starts find both and do nothing. Resolves when the demo run has ended. A demo run someone
 * cancelled stays cancelled (it is found, not resumed).
 */
export async function ensureDemoRun(options: {
  deps: Pick<AppDeps, "db" | "queue" | "dataDir" | "inference" | "limits">;
  root: string;
  log: (line: string) => void;
}): Promise<void> {
  const { db, queue, inference } = options.deps;
  const demo = await ensureDemoDataset({
    db,
    dataDir: options.deps.dataDir,
    demoDir: path.join(options.root, "demo", "florence-vl-mini-scenes"),
    limits: options.deps.limits.imports,
    maxInputPixels: options.deps.limits.maxImagePixels,
  });
  if (demo.isCreated)
    options.log(`imported the demo dataset (${demo.report?.dataset.itemCount ?? "?"} images)`);
  const run = await ensureRun({
    db,
    queue,
    name: DEMO_RUN_NAME,
    resume: false,
    create: async () => {
      const deadline = Date.now() + MODEL_READY_TIMEOUT_MS;
      for (;;) {
        const health = await inference.client.health.query().catch(() => null);
        if (health?.model.state === "ready") break;
        if (health?.model.state === "missing" || health?.model.state === "failed" || Date.now() > deadline) {
          options.log(
            `demo run skipped: the model is not available (${health ? health.model.state : "inference server down"})`,
          );
          return null;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const created = await createRun({
        db,
        queue,
        inference: inference.client,
        datasetId: demo.datasetId,
        name: DEMO_RUN_NAME,
      });
      options.log("encoding the demo dataset with the bundled model (once)");
      return created;
    },
  });
  if (run === null) return;
  let lastLogged = "";
  for (;;) {
    const progress = await getRunProgress({ db, runId: run.id });
    const line = `demo run: ${progress.status} ${progress.done + progress.failed}/${progress.total}`;
    if (line !== lastLogged && (progress.done + progress.failed) % 50 === 0) options.log(line);
    lastLogged = line;
    if (!isActiveStatus(progress.status)) {
      options.log(line);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
