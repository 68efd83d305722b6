import { listRuns } from "~/server/services/catalog/list-runs";
import { findRunId, getRun } from "~/server/services/runs/get-run";
import { listRunFailures, type RunFailure } from "~/server/services/runs/list-run-failures";
import { prepare } from "./cli-deps";

/** `fvl runs`: every run on one line; `fvl runs <name or id>`: one run in detail, with its failed files. */
export async function runsCommand(argv: string[]): Promise<void> {
  const { db } = await prepare();
  const idOrName = argv[0];
  if (idOrName !== undefined) {
    const run = await getRun({ db, runId: await findRunId({ db, idOrName }) });
    const lines: [string, string][] = [
      ["run", `${run.name} (${run.id})`],
      ["status", run.status + (run.error ? ` — ${run.error}` : "")],
      ["images", `${run.done} encoded, ${run.failed} failed of ${run.total}`],
      ["dataset", `${run.datasetName} (${run.datasetId})`],
      ["model", `${run.modelDir} (${run.modelHash.slice(0, 12)})`],
      ["prompts", run.prompts.join(", ")],
      ["sources", run.sources.join(", ")],
      ["questions", run.questions.join(" | ") || "none"],
      ["storage", run.dtype],
      ["created", run.createdAt.toISOString()],
      ["started", run.startedAt?.toISOString() ?? "not yet"],
      ["finished", run.finishedAt?.toISOString() ?? "not yet"],
    ];
    for (const [key, value] of lines) console.log(`${key.padEnd(10)} ${value}`);
    printFailures(await listRunFailures({ db, runId: run.id }), console.log);
    return;
  }
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

/** Each failed file with its reason, under a count; nothing when there are none. */
export function printFailures(failures: readonly RunFailure[], print: (line: string) => void): void {
  if (failures.length === 0) return;
  print(`${failures.length} failed:`);
  for (const failure of failures) print(`  ${failure.fileName}: ${failure.error}`);
}
