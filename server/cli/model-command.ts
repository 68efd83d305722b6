/**
 * `fvl model export` and `fvl model check`: turn a downloaded Florence-2 / Florence-VL checkpoint folder (or a CLIP,
 * SigLIP or DINOv2 one: a comparison encoder) into a Lens model folder (tools/export's Python exporter in its own virtual environment), and validate any model folder
 * against the model-directory contract.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { checkModelFolder, type ModelCheck } from "~/lib/engine/check-model";
import type { SessionSettings } from "~/lib/engine/ort-graph";
import { AppError } from "~/server/app-error";
import { env } from "~/server/env";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const EXPORT_DIR = path.join(ROOT, "tools", "export");
const EXPORT_PYTHON = path.join(EXPORT_DIR, ".venv", "bin", "python");

export const MODEL_USAGE = `  fvl model export --from <checkpoint folder> --out <model folder> [--dtype fp32|fp16|fp32,fp16] [--image-size N] [--tower-files DIR] [--breadth-mode florence-vl|lens] [--pad-to-square|--no-pad-to-square]
  fvl model check <model folder>`;

/** What the exporter reports on stdout (python -m fvl_export export --json). */
type ExportReport = FlorenceExportReport | EncoderExportReport;

interface FlorenceExportReport {
  format: string;
  source: string;
  out: string;
  architecture: Record<string, unknown>;
  notes: string[];
  image_size: number;
  image_token_count: number;
  dtypes: string[];
  breadth_mode: string;
  pad_to_square: boolean;
  prompts: { task: string; text: string; token_ids: number[] }[];
  projector: { type: string; input_dims: number; output_dims: number } | null;
  language_model: boolean;
  seconds: number;
  peak_rss_mb: number;
}

/** A comparison encoder's export (fvl_export/encoders.py): format `encoder:<family>`. */
interface EncoderExportReport {
  format: `encoder:${string}`;
  family: string;
  source: string;
  out: string;
  architecture: {
    model_type: string;
    hidden_size: number;
    layers: number;
    heads: number;
    patch_size: number;
  };
  image_size: [number, number];
  image_token_count: number;
  hidden_size: number;
  graphs: string[];
  seconds: number;
  peak_rss_mb: number;
}

function isEncoderReport(report: ExportReport): report is EncoderExportReport {
  return report.format.startsWith("encoder:");
}

export async function modelCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === "export") await exportModel(rest);
  else if (sub === "check") await checkModel(rest);
  else throw new AppError("BAD_INPUT", `usage:\n${MODEL_USAGE}`);
}

function sessionSettings(): SessionSettings {
  return {
    executionProvider: env.EXECUTION_PROVIDER,
    intraOpThreads: env.ORT_INTRA_OP_THREADS,
    interOpThreads: env.ORT_INTER_OP_THREADS,
    allowSpinning: env.ORT_ALLOW_SPINNING,
  };
}

async function exportModel(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: "string" },
      out: { type: "string" },
      dtype: { type: "string", default: "fp32" },
      "image-size": { type: "string" },
      "tower-files": { type: "string" },
      "breadth-mode": { type: "string" },
      "pad-to-square": { type: "boolean" },
      "no-pad-to-square": { type: "boolean" },
      name: { type: "string" },
      "external-data-mb": { type: "string" },
    },
  });
  if (values.from === undefined || values.out === undefined)
    throw new AppError("BAD_INPUT", `fvl model export needs --from and --out.\nusage:\n${MODEL_USAGE}`);
  if (!existsSync(EXPORT_PYTHON))
    throw new AppError(
      "BAD_INPUT",
      `The exporter's Python environment is missing (${EXPORT_PYTHON}): run 'bash scripts/install-system-deps.sh' (or 'bash scripts/install-venv.sh tools/export').`,
    );
  const args = ["-m", "fvl_export", "export", "--json", "--from", path.resolve(values.from)];
  args.push("--out", path.resolve(values.out), "--dtype", values.dtype);
  const optional: [string, string | undefined][] = [
    ["--image-size", values["image-size"]],
    ["--tower-files", values["tower-files"] && path.resolve(values["tower-files"])],
    ["--breadth-mode", values["breadth-mode"]],
    ["--name", values.name],
    ["--external-data-mb", values["external-data-mb"]],
  ];
  for (const [flag, value] of optional) if (value !== undefined) args.push(flag, value);
  if (values["pad-to-square"]) args.push("--pad-to-square");
  if (values["no-pad-to-square"]) args.push("--no-pad-to-square");
  const report = await runExporter(args);
  printReport(report);
  console.log("\nvalidating the exported folder ...");
  printCheck(await checkModelFolder(report.out, sessionSettings()));
}

/** Runs the exporter with its progress on our stderr; its typed errors (exit 2) become AppErrors. */
function runExporter(args: string[]): Promise<ExportReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(EXPORT_PYTHON, args, { cwd: EXPORT_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let lastError = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      // transformers' and torch.onnx's warnings are noise here; our progress lines are not prefixed.
      for (const line of text.split("\n")) {
        if (line.trim() === "" || /Warning|warnings\.warn|^\s+(warnings|torch|if |return )/.test(line))
          continue;
        process.stderr.write(`${line}\n`);
        lastError = line;
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) {
        resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as ExportReport);
      } else {
        reject(new AppError("BAD_INPUT", `the checkpoint could not be exported: ${lastError}`));
      }
    });
  });
}

function printReport(report: ExportReport): void {
  if (isEncoderReport(report)) {
    printEncoderReport(report);
    return;
  }
  const arch = report.architecture;
  console.log(`\ndetected: ${report.format} checkpoint (${report.source})`);
  console.log(
    `  vision tower: DaViT dims ${JSON.stringify(arch.vision_dims)}, depths ${JSON.stringify(arch.vision_depths)}, heads ${JSON.stringify(arch.vision_heads)}, projection ${arch.projection_dim}`,
  );
  console.log(
    `  encoder-decoder: d_model ${arch.text_d_model}, ${arch.encoder_layers}+${arch.decoder_layers} layers, ${arch.text_heads} heads, vocabulary ${arch.vocab_size}`,
  );
  for (const note of report.notes) console.log(`  note: ${note}`);
  if (report.projector !== null)
    console.log(
      `  projector: ${report.projector.type}, ${report.projector.input_dims} → ${report.projector.output_dims}`,
    );
  console.log(`  language model: ${report.language_model ? "exported" : "none"}`);
  console.log(
    `  images: ${report.image_size}² (${report.image_token_count} image tokens), pad to square: ${report.pad_to_square ? "yes" : "no"}`,
  );
  console.log(`  prompts (breadth mode "${report.breadth_mode}"):`);
  for (const prompt of report.prompts)
    console.log(`    ${prompt.task.padEnd(24)} ${prompt.text}  ids ${JSON.stringify(prompt.token_ids)}`);
  console.log(
    `exported ${report.dtypes.join(" + ")} to ${report.out} in ${report.seconds} s (peak memory ${report.peak_rss_mb} MB)`,
  );
}

function printEncoderReport(report: EncoderExportReport): void {
  const arch = report.architecture;
  console.log(`\ndetected: ${report.format} checkpoint (${report.source}), ${arch.model_type}`);
  console.log(
    `  vision tower: ${arch.layers} layers, width ${arch.hidden_size}, ${arch.heads} heads, patch ${arch.patch_size}`,
  );
  console.log(
    `  images: ${report.image_size.join("x")} → ${report.image_token_count} tokens of ${report.hidden_size} dims + pooler_output`,
  );
  console.log(
    `exported fp32 ${report.graphs.join(", ")} to ${report.out} in ${report.seconds} s (peak memory ${report.peak_rss_mb} MB)`,
  );
}

async function checkModel(argv: string[]): Promise<void> {
  const dir = argv[0];
  if (dir === undefined) throw new AppError("BAD_INPUT", `usage:\n${MODEL_USAGE}`);
  printCheck(await checkModelFolder(path.resolve(dir), sessionSettings()));
}

function printFlorenceParts(info: ModelCheck["info"]): void {
  console.log(
    `  depth levels: ${info.depthLevels.map((l) => `${l.name} ${l.grid.join("x")}x${l.dims}`).join(", ")}`,
  );
  console.log(`  prompts (breadth mode "${info.breadthMode}"):`);
  for (const prompt of info.prompts)
    console.log(
      `    ${prompt.task.padEnd(24)} ${prompt.text}${prompt.tokenIds ? `  ids ${JSON.stringify(prompt.tokenIds)}` : ""}`,
    );
  console.log(
    `  fusion: ${info.fusionOrder.join(" ; ")} → ${info.hasProjector ? "projector" : "raw concatenation (no projector)"}`,
  );
}

function printCheck(check: ModelCheck): void {
  const { info } = check;
  console.log(`model folder: ${info.dir}`);
  console.log(
    `  ${info.name}: ${info.kind}, source ${info.sourceFormat}${info.exporterVersion ? ` (fvl_export ${info.exporterVersion})` : ""}`,
  );
  for (const variant of check.variants)
    console.log(`  ${variant.dtype}: ${variant.graphs.length} graphs load (${variant.graphs.join(", ")})`);
  console.log(`  image tokens: ${info.imageTokenCount}, pad to square: ${info.padToSquare ? "yes" : "no"}`);
  console.log(
    `  sources: ${info.sources.map((s) => `${s.name} ${s.grid.join("x")}${s.dims === null ? "" : `x${s.dims}`}`).join(", ")}`,
  );
  // A comparison encoder has no depth levels, prompts or fusion: its one source is listed above.
  if (info.kind !== "encoder") printFlorenceParts(info);
  console.log(`  language model: ${info.hasLanguageModel ? "yes" : "no"}`);
  if (info.attentionOutputs.length === 0)
    console.log("  attention outputs: none (this export has no attention maps)");
  for (const attention of info.attentionOutputs)
    console.log(`  attention: ${attention.graph}: ${attention.names.length} × ${attention.kind}`);
  const sources = Object.entries(info.sourceFiles);
  if (sources.length > 0) console.log("  source files:");
  for (const [file, sha] of sources) console.log(`    ${file}  sha256 ${sha}`);
  if (check.problems.length > 0) {
    for (const problem of check.problems) console.log(`  problem: ${problem}`);
    throw new AppError("BAD_INPUT", `${check.problems.length} problem(s) with ${info.dir}`);
  }
  console.log("  ok: the folder matches the model-directory contract");
}
