import fs from "node:fs/promises";
import path from "node:path";
import { AppError } from "~/server/app-error";

/** Where the model folders a run may pick are configured (server/env.ts: MODEL_DIR, MODELS_DIR, MODEL_DIRS). */
export interface ModelSettings {
  /** The default model (MODEL_DIR), absolute. */
  modelDir: string;
  /** A folder whose model-folder subfolders are known models (MODELS_DIR), absolute. */
  modelsDir: string;
  /** Explicitly listed model folders (MODEL_DIRS), absolute. */
  modelDirs: readonly string[];
}

export interface KnownModel {
  /** The folder's name: what a run, the CLI and the models page pick it by. */
  name: string;
  /** Absolute folder path: what a run records (Run.modelDir) and an inference request names. */
  dir: string;
  isDefault: boolean;
}

// A folder is taken for a model folder when it has a config.json and the first graph of one of the layouts
// docs/architecture.md describes (Florence-2 / Florence-VL, or a comparison encoder); loading it checks the rest.
const FIRST_GRAPHS = ["onnx/vision_encoder.onnx", "onnx/vision_model.onnx", "onnx/model.onnx"];

/**
 * The model folders this deployment knows: the default first, then MODEL_DIRS, then MODELS_DIR's model-folder
 * subfolders in name order; each folder once. The default is listed even when it is missing (the inference server
 * reports it as missing).
 */
export async function listKnownModels(settings: ModelSettings): Promise<KnownModel[]> {
  const subfolders = await fs
    .readdir(settings.modelsDir, { withFileTypes: true })
    .then((entries) =>
      entries
        .filter((entry) => entry.isDirectory())
        .map((entry) => path.join(settings.modelsDir, entry.name))
        .sort(),
    )
    .catch(() => [] as string[]);
  const candidates = [...settings.modelDirs, ...subfolders].map((dir) => path.resolve(dir));
  const dirs = [path.resolve(settings.modelDir)];
  for (const dir of candidates) if (!dirs.includes(dir) && (await isModelFolder(dir))) dirs.push(dir);
  return dirs.map((dir, i) => ({ name: path.basename(dir), dir, isDefault: i === 0 }));
}

/**
 * The known model a request names, by folder name or by its path (what Run.modelDir holds); the default when none
 * is named. A path is compared once resolved, so `..` or another folder is a BAD_INPUT AppError: only known folders
 * are ever opened.
 */
export async function resolveKnownModel(
  settings: ModelSettings,
  requested: string | undefined,
): Promise<KnownModel> {
  const known = await listKnownModels(settings);
  const found =
    requested === undefined
      ? known[0]
      : known.find((model) => model.name === requested || model.dir === path.resolve(requested));
  if (found === undefined)
    throw new AppError(
      "BAD_INPUT",
      `Unknown model "${requested}": pick one of ${known.map((model) => model.name).join(", ")} ` +
        "(MODEL_DIR, MODEL_DIRS or a folder in MODELS_DIR).",
    );
  return found;
}

async function isModelFolder(dir: string): Promise<boolean> {
  const exists = (file: string) =>
    fs.stat(path.join(dir, file)).then(
      (stat) => stat.isFile(),
      () => false,
    );
  if (!(await exists("config.json"))) return false;
  for (const file of FIRST_GRAPHS) if (await exists(file)) return true;
  return false;
}
