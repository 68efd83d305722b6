import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { AppError } from "~/server/app-error";
import { getAppDeps } from "~/server/composition-root";
import { processJob } from "~/server/jobs/run-worker";
import { importFolder } from "~/server/services/datasets/import-folder";
import { resolveKnownModel } from "~/server/services/models/known-models";
import { createRun } from "~/server/services/runs/create-run";
import { ensureRun } from "~/server/services/runs/ensure-run";
import { listRunFailures } from "~/server/services/runs/list-run-failures";
import { cliWorker, cliWorkerId, prepare, ROOT } from "./cli-deps";
import { ensureInference } from "./ensure-inference";
import { printProgress, renderProgress } from "./progress-bar";
import { printFailures } from "./runs-command";

/** `fvl encode`: imports a folder or manifest and encodes it in this process, or completes the run of that name. */
export async function encodeCommand(argv: string[], usage: string): Promise<void> {
  const deps = getAppDeps();
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      // A known model folder (name or path: MODEL_DIR, MODEL_DIRS, MODELS_DIR's folders); MODEL_DIR by default.
      model: { type: "string" },
      prompt: { type: "string", multiple: true },
      question: { type: "string", multiple: true },
      name: { type: "string" },
      stages: { type: "boolean", default: false },
      fp32: { type: "boolean", default: false },
      "batch-size": { type: "string", default: "4" },
    },
  });
  const batchSize = Number(values["batch-size"]);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 64)
    throw new AppError("BAD_INPUT", "--batch-size must be 1..64.");
  const target = positionals[0];
  if (target === undefined)
    throw new AppError("BAD_INPUT", `fvl encode needs a folder or a manifest.\n${usage}`);
  const model = await resolveKnownModel(deps.models, values.model);
  await prepare();
  const { db, queue } = deps;
  const absolute = path.resolve(target);
  const isManifest = (await fs.stat(absolute)).isFile();
  const runName =
    values.name ?? `${path.basename(absolute)} · ${new Date().toISOString().slice(0, 19).replace("T", " ")}`;
  const inference = await ensureInference({
    url: deps.inference.url,
    modelDir: model.dir,
    root: ROOT,
    token: deps.inference.token,
  });
  try {
    // Re-running with the name of an unfinished run completes that run instead of starting over.
    const run = await ensureRun({
      db,
      queue,
      name: runName,
      resume: true,
      create: async () => {
        const folder = isManifest ? path.dirname(absolute) : absolute;
        const imported = await importFolder({
          db,
          dataDir: deps.dataDir,
          roots: [folder],
          folder,
          name: `${runName} (images)`,
          limits: deps.limits.imports,
          maxInputPixels: deps.limits.maxImagePixels,
          ...(isManifest ? { manifestPath: absolute } : {}),
        });
        return createRun({
          db,
          queue,
          inference: inference.client,
          datasetId: imported.dataset.id,
          model: model.dir,
          name: runName,
          ...(values.prompt ? { prompts: values.prompt } : {}),
          ...(values.question ? { questions: values.question } : {}),
          includeStages: values.stages,
          dtype: values.fp32 ? "fp32" : "fp16",
          batchSize,
        });
      },
    });
    if (run === null) throw new Error(`run "${runName}" was not created`);
    if (run.status === "completed") {
      console.log(`Run "${run.name}" is already complete.`);
      return;
    }
    const workerId = cliWorkerId();
    const job = await queue.claim({
      workerId,
      kinds: ["encode-run"],
      staleAfterMs: deps.limits.jobStaleAfterMs,
      jobId: run.jobId,
    });
    if (job === null)
      throw new AppError(
        "CONFLICT",
        `Run "${run.name}" is being encoded by another worker; follow it in the dashboard.`,
      );
    const startedAt = Date.now();
    console.error(`Encoding run "${run.name}" (${run.id}) with ${inference.url}`);
    await processJob(
      {
        ...cliWorker(deps, inference, workerId),
        onRunProgress: (progress) => printProgress(renderProgress(progress, startedAt)),
      },
      job,
    );
    const final = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    const seconds = (Date.now() - startedAt) / 1000;
    console.error(
      `\n${final.status}: ${final.done} encoded, ${final.failed} failed in ${seconds.toFixed(1)} s`,
    );
    // Every failed file with its reason, so a user need not open the dashboard to find out what went wrong.
    printFailures(await listRunFailures({ db, runId: run.id }), console.error);
    console.log(final.id);
    if (final.status === "failed") process.exitCode = 1;
  } finally {
    await inference.close();
  }
}
