import { parseArgs } from "node:util";
import { AppError } from "~/server/app-error";
import { processJob } from "~/server/jobs/run-worker";
import { resolveComparedRuns } from "~/server/services/analysis/alignment-runs";
import { getAlignment } from "~/server/services/analysis/get-alignment";
import { requestAlignment } from "~/server/services/analysis/request-alignment";
import { findRunId } from "~/server/services/runs/get-run";
import { cliWorker, cliWorkerId, prepare, ROOT } from "./cli-deps";
import { ensureInference } from "./ensure-inference";

/**
 * The paper's alignment analysis on a run (with --compare, against other runs of its dataset: Fig. 4), computed
 * by the same job as in the dashboard, printed as a table (or, with --json, the analysis as JSON).
 */
export async function alignCommand(argv: string[], usage: string): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "batch-size": { type: "string", default: "32" },
      seed: { type: "string", default: "0" },
      steps: { type: "string" },
      compare: { type: "string", multiple: true, default: [] },
      json: { type: "boolean", default: false },
    },
  });
  if (positionals[0] === undefined) throw new AppError("BAD_INPUT", usage);
  const deps = await prepare();
  const { db, queue } = deps;
  const runId = await findRunId({ db, idOrName: positionals[0] });
  const comparisonRunIds = await Promise.all(
    (values.compare ?? []).map((idOrName) => findRunId({ db, idOrName })),
  );
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  // The caption features come from the first compared run with a language model.
  const compared = await resolveComparedRuns(db, runId, comparisonRunIds);
  const textRun = await db.run.findUniqueOrThrow({
    where: { id: compared.find((r) => r.isTextRun)?.runId ?? runId },
  });
  const inference = await ensureInference({
    url: deps.inference.url,
    modelDir: textRun.modelDir,
    root: ROOT,
    token: deps.inference.token,
  });
  try {
    const { jobId } = await requestAlignment({
      db,
      queue,
      runId,
      comparisonRunIds,
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
    if (values.json) {
      console.log(JSON.stringify(result));
      return;
    }
    const { settings } = result;
    console.log(
      `alignment on "${run.name}": batch ${settings.batchSize}, seed ${settings.seed}, ${settings.steps} steps, ${settings.trainImages} train / ${settings.heldOutImages} held-out images`,
    );
    console.log(
      [
        "source".padEnd(44),
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
          row.label.padEnd(44),
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
