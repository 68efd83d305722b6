// Encoder comparison (issue 20, the paper's Fig. 4 in miniature): the demo scenes encoded by the bundled
// Florence-VL-mini and by the contrastive miniature (models/contrastive-mini), then the cross-run alignment
// analysis (the dashboard's job, as `fvl align --compare` runs it) with each seed: one probe per source of both runs against
// Florence-VL-mini's caption features, same batch size, steps and held-out split within a seed. Reports held-out
// alignment loss, R@1 and R@5 per source as mean ± spread (sample standard deviation) over the seeds, and writes
// bench/results/encoder-comparison.json and .md.
// Usage: npm run bench:encoder-comparison [-- --seeds 0,1,2 --batch-size 32 --steps 300
//        --compare-model models/contrastive-mini | --compare-prompt TEXT]
// --compare-prompt encodes the second run with Florence-VL-mini and that one breadth prompt instead (two runs of
// one model: the development case before a contrastive folder exists).
import { mkdirSync, writeFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { processJob } from "~/server/jobs/run-worker";
import { type AlignmentView, getAlignment } from "~/server/services/analysis/get-alignment";
import { requestAlignment } from "~/server/services/analysis/request-alignment";
import { importFolder } from "~/server/services/datasets/import-folder";
import { createRun } from "~/server/services/runs/create-run";
import { dashboardEnv } from "../tests/helpers/dashboard-stack";

const ROOT = path.resolve(import.meta.dirname, "..");
const DEMO = path.join(ROOT, "demo", "florence-vl-mini-scenes");
const { values: args } = parseArgs({
  options: {
    seeds: { type: "string", default: "0,1,2" },
    "batch-size": { type: "string", default: "32" },
    steps: { type: "string", default: "300" },
    "compare-model": { type: "string", default: path.join(ROOT, "models", "contrastive-mini") },
    "compare-prompt": { type: "string" },
  },
});
const SEEDS = args.seeds.split(",").map(Number);
const FLORENCE_RUN = "florence-vl-mini";
const COMPARE_RUN = args["compare-prompt"] ? "florence-vl-mini (second prompt)" : "contrastive";

// The bench drives the same services as `fvl encode` and `fvl align`, in this process, on a fresh data folder.
async function openDeps(work: string) {
  Object.assign(process.env, {
    ...(await dashboardEnv(work)),
    MODELS_DIR: path.join(ROOT, "models"),
    OPENBLAS_NUM_THREADS: "1",
  });
  const cli = await import("~/server/cli/cli-deps");
  const { ensureInference } = await import("~/server/cli/ensure-inference");
  const deps = await cli.prepare();
  const inferenceFor = (modelDir: string) =>
    ensureInference({ url: deps.inference.url, modelDir, root: ROOT, token: undefined });
  /** Claims the queued job and runs it here with an inference server that serves `modelDir`. */
  const runJob = async (jobId: string, kind: "encode-run" | "alignment", modelDir: string) => {
    const inference = await inferenceFor(modelDir);
    try {
      const workerId = cli.cliWorkerId();
      const job = await deps.queue.claim({
        workerId,
        kinds: [kind],
        staleAfterMs: deps.limits.jobStaleAfterMs,
        jobId,
      });
      if (job === null) throw new Error(`job ${jobId} was not claimable`);
      const outcome = await processJob(cli.cliWorker(deps, inference, workerId), job);
      if (outcome !== "completed") {
        const ended = await deps.queue.get(jobId);
        throw new Error(`${kind} job ${jobId} ${outcome}: ${ended?.error ?? ""}`);
      }
    } finally {
      await inference.close();
    }
  };
  return { deps, inferenceFor, runJob };
}

function stats(values: readonly number[]) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance =
    values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, spread: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values), values };
}

// The table's rows: depth V, each breadth feature, fused, the raw concatenation, and the other run's sources.
function isReported(row: AlignmentView["rows"][number]): boolean {
  return !row.source.startsWith("concat − ");
}

async function main() {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "bench-encoder-comparison-"));
  try {
    const { deps, inferenceFor, runJob } = await openDeps(work);
    const { db, queue } = deps;
    const florenceModel = path.join(ROOT, "models", "florence-vl-mini");
    const compareModel = args["compare-prompt"] ? florenceModel : path.resolve(args["compare-model"]);
    const dataset = await importFolder({
      db,
      dataDir: deps.dataDir,
      roots: [DEMO],
      folder: DEMO,
      name: "demo scenes",
    });
    const encodeS: Record<string, number> = {};
    const runIds: string[] = [];
    for (const [name, model, prompts] of [
      [FLORENCE_RUN, florenceModel, undefined],
      [COMPARE_RUN, compareModel, args["compare-prompt"] ? [args["compare-prompt"]] : undefined],
    ] as const) {
      const start = performance.now();
      const inference = await inferenceFor(model);
      const created = await createRun({
        db,
        queue,
        inference: inference.client,
        datasetId: dataset.dataset.id,
        model,
        name,
        ...(prompts ? { prompts: [...prompts] } : {}),
      }).finally(() => inference.close());
      await runJob(created.jobId, "encode-run", model);
      encodeS[name] = (performance.now() - start) / 1000;
      runIds.push(created.id);
      console.log(`encoded the demo with ${path.basename(model)} in ${encodeS[name]?.toFixed(1)} s`);
    }

    const perSeed: { seed: number; alignS: number; result: AlignmentView }[] = [];
    for (const seed of SEEDS) {
      const start = performance.now();
      const { jobId } = await requestAlignment({
        db,
        queue,
        runId: runIds[0] as string,
        comparisonRunIds: runIds.slice(1),
        batchSize: Number(args["batch-size"]),
        steps: Number(args.steps),
        seed,
      });
      await runJob(jobId, "alignment", florenceModel);
      const result = await getAlignment({ db, queue, runId: runIds[0] as string });
      if (result === null || result.jobId !== jobId) throw new Error(`no alignment result for seed ${seed}`);
      const alignS = (performance.now() - start) / 1000;
      perSeed.push({ seed, alignS, result });
      console.log(`seed ${seed}: ${result.rows.length} probes in ${alignS.toFixed(1)} s`);
    }
    const first = perSeed[0]?.result;
    if (first === undefined) throw new Error("no seeds");
    const { seed: _firstSeed, ...settings } = first.settings;
    const labels = first.rows.filter(isReported).map((row) => row.label);
    const rows = labels.map((label) => {
      const of = perSeed.map(({ result }) => {
        const row = result.rows.find((r) => r.label === label);
        if (row === undefined) throw new Error(`seed without row ${label}`);
        return row;
      });
      return {
        label,
        source: of[0]?.source ?? "",
        run: first.runs.find((r) => r.runId === of[0]?.runId)?.name ?? "",
        heldOutLoss: stats(of.map((r) => r.heldOutLoss)),
        r1: stats(of.map((r) => r.r1)),
        r5: stats(of.map((r) => r.r5)),
        chance: of[0]?.chance ?? Number.NaN,
      };
    });
    const report = {
      bench: "encoder-comparison",
      date: new Date().toISOString(),
      loadAverage: os.loadavg(),
      comparison: args["compare-prompt"]
        ? { kind: "second Florence-VL-mini run", prompt: args["compare-prompt"] }
        : { kind: "comparison encoder", model: path.relative(ROOT, args["compare-model"]) },
      // The model fingerprints say which weights were compared (the contrastive miniature is retrained at times).
      runs: await Promise.all(
        first.runs.map(async (r) => ({
          ...r,
          modelHash: (await db.run.findUniqueOrThrow({ where: { id: r.runId } })).modelHash,
        })),
      ),
      settings: { ...settings, seeds: SEEDS },
      encodeS,
      alignS: perSeed.map(({ seed, alignS }) => ({ seed, alignS })),
      spread: "sample standard deviation over the seeds",
      rows,
    };
    const out = path.join(ROOT, "bench", "results");
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, "encoder-comparison.json"), `${JSON.stringify(report, null, 2)}\n`);
    const pm = (s: { mean: number; spread: number }, digits: number, scale = 1) =>
      `${(s.mean * scale).toFixed(digits)} ± ${(s.spread * scale).toFixed(digits)}`;
    const table = [
      `Encoder comparison on the demo scenes (${first.settings.images} images, ${first.settings.heldOutImages} held out, ` +
        `N = ${first.settings.batchSize}, ${first.settings.steps} steps, seeds ${SEEDS.join(", ")}; chance ln N = ` +
        `${(rows[0]?.chance ?? Number.NaN).toFixed(3)}; mean ± sample standard deviation over the seeds)`,
      "",
      "| source | held-out loss | R@1 (%) | R@5 (%) |",
      "|---|---|---|---|",
      ...rows
        .slice()
        .sort((a, b) => a.heldOutLoss.mean - b.heldOutLoss.mean)
        .map((r) => `| ${r.label} | ${pm(r.heldOutLoss, 3)} | ${pm(r.r1, 1, 100)} | ${pm(r.r5, 1, 100)} |`),
      "",
    ].join("\n");
    writeFileSync(path.join(out, "encoder-comparison.md"), table);
    console.log(table);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

await main();
