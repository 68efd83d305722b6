import path from "node:path";
import type { AppDeps } from "~/server/composition-root";
import { isActiveStatus } from "~/server/jobs/job-status";
import { ensureDemoDataset } from "~/server/services/datasets/ensure-demo-dataset";
import { createRun } from "~/server/services/runs/create-run";
import { ensureRun } from "~/server/services/runs/ensure-run";
import { getRunProgress } from "~/server/services/runs/get-run";

export const DEMO_RUN_NAME = "demo: florence-vl-mini scenes";
/** The second demo run: the same scenes encoded by the contrastive miniature (the paper's Fig. 4 in miniature). */
export const CONTRASTIVE_DEMO_RUN_NAME = "demo: contrastive-mini scenes";
// The inference server loads its model within seconds; allow for a slow first start.
const MODEL_READY_TIMEOUT_MS = 120_000;

type DemoDeps = Pick<AppDeps, "db" | "queue" | "dataDir" | "inference" | "limits">;

/**
 * First start: import the bundled demo scenes and queue their encoding twice, with the bundled model (the inference
 * server's default) and with the contrastive miniature (models/contrastive-mini, a CLIP-layout vision encoder the
 * server serves beside it); the job worker encodes them. Later starts find all three and do nothing (a start after
 * an upgrade that brought the miniature adds its run only). Resolves when both demo runs have ended. A demo run
 * someone cancelled stays cancelled (it is found, not resumed).
 */
export async function ensureDemoRun(options: {
  deps: DemoDeps;
  root: string;
  log: (line: string) => void;
}): Promise<void> {
  const { db, inference } = options.deps;
  const demo = await ensureDemoDataset({
    db,
    dataDir: options.deps.dataDir,
    demoDir: path.join(options.root, "demo", "florence-vl-mini-scenes"),
    limits: options.deps.limits.imports,
    maxInputPixels: options.deps.limits.maxImagePixels,
  });
  if (demo.isCreated)
    options.log(`imported the demo dataset (${demo.report?.dataset.itemCount ?? "?"} images)`);
  const florence = await ensureDemoEncoding(options, {
    name: DEMO_RUN_NAME,
    what: "the bundled model",
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
      return createRun({
        db,
        queue: options.deps.queue,
        inference: inference.client,
        datasetId: demo.datasetId,
        name: DEMO_RUN_NAME,
      });
    },
  });
  // Only once the bundled model could run: if the inference server is down, so is this one's chance.
  const contrastive =
    florence === null
      ? null
      : await ensureDemoEncoding(options, {
          name: CONTRASTIVE_DEMO_RUN_NAME,
          what: "the contrastive miniature",
          create: () =>
            createRun({
              db,
              queue: options.deps.queue,
              inference: inference.client,
              datasetId: demo.datasetId,
              name: CONTRASTIVE_DEMO_RUN_NAME,
              model: path.join(options.root, "models", "contrastive-mini"),
            }).catch((error: unknown) => {
              // Not a known model here (MODELS_DIR points elsewhere, or the folder was removed): the demo goes on.
              options.log(
                `contrastive demo run skipped: ${error instanceof Error ? error.message : String(error)}`,
              );
              return null;
            }),
        });
  for (const run of [florence, contrastive]) if (run !== null) await waitForRun(options, run);
}

/** Finds the demo run by name or creates it (logging that it encodes, once); null when `create` declines. */
async function ensureDemoEncoding(
  options: { deps: DemoDeps; log: (line: string) => void },
  demoRun: { name: string; what: string; create: () => Promise<{ id: string } | null> },
): Promise<{ id: string; name: string } | null> {
  return ensureRun({
    db: options.deps.db,
    queue: options.deps.queue,
    name: demoRun.name,
    resume: false,
    create: async () => {
      const created = await demoRun.create();
      if (created !== null) options.log(`encoding the demo dataset with ${demoRun.what} (once)`);
      return created;
    },
  });
}

/** Logs a run's progress every 50 images until it is no longer queued or running. */
async function waitForRun(
  options: { deps: DemoDeps; log: (line: string) => void },
  run: { id: string; name: string },
): Promise<void> {
  let lastLogged = "";
  for (;;) {
    const progress = await getRunProgress({ db: options.deps.db, runId: run.id });
    const line = `${run.name}: ${progress.status} ${progress.done + progress.failed}/${progress.total}`;
    if (line !== lastLogged && (progress.done + progress.failed) % 50 === 0) options.log(line);
    lastLogged = line;
    if (!isActiveStatus(progress.status)) {
      options.log(line);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
