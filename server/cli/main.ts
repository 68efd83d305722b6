/**
 * `fvl`: the command-line face of Florence-VL Lens, on the same services as the dashboard.
 *   fvl encode <folder|manifest> [--model DIR] [--prompt TEXT ...] [--question TEXT ...] [--name NAME] [--stages] [--fp32] [--batch-size N]
 *   fvl runs [<run name or id>]
 *   fvl align <run name or id> [--compare RUN ...] [--batch-size N] [--seed S] [--steps K] [--json]
 *   fvl export <run name or id> --format safetensors|npy|csv --out DIR
 *   fvl users list | create-admin --email EMAIL | create --email EMAIL --role ROLE
 */
import { parseArgs } from "node:util";
import { AppError } from "~/server/app-error";
import { getAppDeps } from "~/server/composition-root";
import { type ExportFormat, exportRun } from "~/server/services/runs/export-run";
import { findRunId } from "~/server/services/runs/get-run";
import { alignCommand } from "./align-command";
import { prepare } from "./cli-deps";
import { encodeCommand } from "./encode-command";
import { MODEL_USAGE, modelCommand } from "./model-command";
import { runsCommand } from "./runs-command";
import { USERS_USAGE, usersCommand } from "./users-command";

const USAGE = `usage:
  fvl encode <folder|manifest> [--model DIR] [--prompt TEXT ...] [--question TEXT ...] [--name NAME] [--stages] [--fp32] [--batch-size N]
  fvl runs [<run name or id>]
  fvl align <run name or id> [--compare RUN ...] [--batch-size N] [--seed S] [--steps K] [--json]
  fvl export <run name or id> --format safetensors|npy|csv --out DIR
${MODEL_USAGE}
${USERS_USAGE}`;

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
  if (command === "encode") await encodeCommand(rest, USAGE);
  else if (command === "runs") await runsCommand(rest);
  else if (command === "export") await exportCommand(rest);
  else if (command === "align") await alignCommand(rest, USAGE);
  else if (command === "model") await modelCommand(rest);
  else if (command === "users") await usersCommand(rest);
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
  .finally(async () => {
    await getAppDeps().queue.close();
    await getAppDeps().db.$disconnect();
  });
