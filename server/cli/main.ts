/**
 * `fvl`: the command-line face of Florence-VL Lens, on the same services as the dashboard.
 *   fvl encode <folder|manifest> [--model DIR] [--prompt TEXT ...] [--question TEXT ...] [--name NAME] [--stages] [--fp32] [--batch-size N]
 *   fvl runs
 *   fvl align <run name or id> [--batch-size N] [--seed S] [--steps K]
 *   fvl export <run name or id> --format safetensors|npy|csv --out DIR
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { AppError } from "~/server/app-error";
import { type AppDeps, getAppDeps } from "~/server/composition-root";
import { processJob, type WorkerDeps } from "~/server/jobs/run-worker";
import { getAlignment } from "~/server/services/analysis/get-alignment";
import { requestAlignment } from "~/server/services/analysis/request-alignment";
import { listRuns } from "~/server/services/catalog/list-runs";
import { importFolder } from "~/server/services/datasets/import-folder";
import { createRun } from "~/server/services/runs/create-run";
import { ensureRun } from "~/server/services/runs/ensure-run";
import { type ExportFormat, exportRun } from "~/server/services/runs/export-run";
import { findRunId } from "~/server/services/runs/get-run";
import { ensureDataDir } from "~/server/store/data-dir";
import { applyMigrations } from "~/server/store/migrate";
import { ensureInference, type InferenceConnection } from "./ensure-inference";
import { MODEL_USAGE, modelCommand } from "./model-command";
import { printProgress, renderProgress } from "./progress-bar";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const USAGE = `usage:
  fvl encode <folder|manifest> [--model DIR] [--prompt TEXT ...] [--question TEXT ...] [--name NAME] [--stages] [--fp32] [--batch-size N]
  fvl runs
  fvl align <run name or id> [--batch-size N] [--seed S] [--steps K]
  fvl export <run name or id> --format safetensors|npy|csv --out DIR
${MODEL_USAGE}`;

/** The process's dependencies, with the data folder and the database brought up to date. */
async function prepare(): Promise<AppDeps> {
  const deps = getAppDeps();
  await ensureDataDir(deps.dataDir);
  await applyMigrations({ databaseUrl: deps.databaseUrl, cwd: ROOT });
  return deps;
}

/** This command as a job worker, with the same dependencies as the background worker process. */
function cliWorker(deps: AppDeps, inference: InferenceConnection, workerId: string): WorkerDeps {
  return {
    db: deps.db,
    dataDir: deps.dataDir,
    inference: inference.client,
    features: deps.features,
    queue: deps.queue,
    workerId,
    staleAfterMs: deps.limits.jobStaleAfterMs,
  };
}

function cliWorkerId(): string {
  return `cli:${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

async function encode(argv: string[]): Promise<void> {
  const deps = getAppDeps();
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: "string", default: deps.modelDir },
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
    throw new AppError("BAD_INPUT", `fvl encode needs a folder or a manifest.\n${USAGE}`);
  await prepare();
  const { db, queue } = deps;
  const absolute = path.resolve(target);
  const isManifest = (await fs.stat(absolute)).isFile();
  const runName =
    values.name ?? `${path.basename(absolute)} · ${new Date().toISOString().slice(0, 19).replace("T", " ")}`;
  const inference = await ensureInference({
    url: deps.inference.url,
    modelDir: path.resolve(values.model),
    root: ROOT,
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
    console.log(final.id);
    if (final.status === "failed") process.exitCode = 1;
  } finally {
    await inference.close();
  }
}

async function runs(): Promise<void> {
  const { db } = await prepare();
  const rows = await listRuns({ db, limit: 500 });
  if (rows.length === 0) {
    console.log("No runs yet. Start one with: fvl encode <folder>");
    return;
  }
  for (const run of rows) {
    console.log(
      [
        run.id,
        run.status.padEnd(9),
        `${run.done}/${run.total}`.padEnd(11),
        run.failed ? `${run.failed} failed` : "",
        run.name,
      ].join("  "),
    );
  }
}

/** The paper's alignment analysis on a run, computed by the same job as in the dashboard, printed as a table. */
async function align(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "batch-size": { type: "string", default: "32" },
      seed: { type: "string", default: "0" },
      steps: { type: "string" },
    },
  });
  if (positionals[0] === undefined) throw new AppError("BAD_INPUT", USAGE);
  const deps = await prepare();
  const { db, queue } = deps;
  const runId = await findRunId({ db, idOrName: positionals[0] });
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  const inference = await ensureInference({ url: deps.inference.url, modelDir: run.modelDir, root: ROOT });
  try {
    const { jobId } = await requestAlignment({
      db,
      queue,
      runId,
      batchSize: Number(values["batch-size"]),
      seed: Number(values.seed),
      ...(values.steps ? { steps: Number(values.steps) } : {}),
    });
    const workerId = cliWorkerId();
    const job = await queue.claim({
      workerId,
      kinds: ["alignment"],
      staleAfterMs: deps.limits.jobStaleAfterMs,
      jobId,
    });
    if (job !== null) {
      await processJob(cliWorker(deps, inference, workerId), job);
    }
    const result = await getAlignment({ db, queue, runId });
    if (result === null)
      throw new AppError(
        "CONFLICT",
        "The alignment analysis did not complete; see the job's error in the dashboard.",
      );
    const { settings } = result;
    console.log(
      `alignment on "${run.name}": batch ${settings.batchSize}, seed ${settings.seed}, ${settings.steps} steps, ${settings.trainImages} train / ${settings.heldOutImages} held-out images`,
    );
    console.log(
      [
        "source".padEnd(34),
        "dim".padStart(5),
        "held-out loss".padStart(14),
        "chance".padStart(8),
        "R@1".padStart(6),
        "R@5".padStart(6),
      ].join(" "),
    );
    for (const row of result.rows) {
      console.log(
        [
          row.source.padEnd(34),
          String(row.dim).padStart(5),
          row.heldOutLoss.toFixed(4).padStart(14),
          row.chance.toFixed(4).padStart(8),
          row.r1.toFixed(3).padStart(6),
          row.r5.toFixed(3).padStart(6),
        ].join(" "),
      );
    }
  } finally {
    await inference.close();
  }
}

async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: "string", default: "npy" }, out: { type: "string" } },
  });
  const format = values.format as ExportFormat;
  if (!["safetensors", "npy", "csv"].includes(format))
    throw new AppError("BAD_INPUT", `--format must be safetensors, npy or csv.\n${USAGE}`);
  if (positionals[0] === undefined || values.out === undefined) throw new AppError("BAD_INPUT", USAGE);
  const { db, features } = await prepare();
  const runId = await findRunId({ db, idOrName: positionals[0] });
  const summary = await exportRun({
    db,
    features,
    runId,
    format,
    outDir: values.out,
  });
  console.log(
    `Exported ${summary.images} images as ${format}: ${summary.files.length} files in ${summary.outDir}`,
  );
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "encode") await encode(rest);
  else if (command === "runs") await runs();
  else if (command === "export") await exportCommand(rest);
  else if (command === "align") await align(rest);
  else if (command === "model") await modelCommand(rest);
  else {
    console.error(USAGE);
    process.exitCode = 2;
  }
}

main()
  .catch((error: unknown) => {
    console.error(`fvl: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => getAppDeps().db.$disconnect());
