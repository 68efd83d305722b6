import { parseArgs } from "node:util";
import { AppError } from "~/server/app-error";
import { processJob } from "~/server/jobs/run-worker";
import { getAlignment } from "~/server/services/analysis/get-alignment";
import { requestAlignment } from "~/server/services/analysis/request-alignment";
import { findRunId } from "~/server/services/runs/get-run";
import { cliWorker, cliWorkerId, prepare, ROOT } from "./cli-deps";
import { ensureInference } from "./ensure-inference";

/** The paper's alignment analysis on a run, computed by the same job as in the dashboard, printed as a table. */
export async function alignCommand(argv: string[], usage: string): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "batch-size": { type: "string", default: "32" },
      seed: { type: "string", default: "0" },
      steps: { type: "string" },
    },
  });
  if (positionals[0] === undefined) throw new AppError("BAD_INPUT", usage);
  const deps = await prepare();
  const { db, queue } = deps;
  const runId = await findRunId({ db, idOrName: positionals[0] });
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  const inference = await ensureInference({
    url: deps.inference.url,
    modelDir: run.modelDir,
    root: ROOT,
    token: deps.inference.token,
  });
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
