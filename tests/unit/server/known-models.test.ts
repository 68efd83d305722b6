import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "~/server/app-error";
import {
  listKnownModels,
  type ModelSettings,
  resolveKnownModel,
} from "~/server/services/models/known-models";

let root: string;
let settings: ModelSettings;

async function folder(dir: string, files: string[]): Promise<string> {
  for (const file of files) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), "{}");
  }
  return dir;
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "lens-known-models-"));
  const models = path.join(root, "models");
  await folder(path.join(models, "florence"), ["config.json", "onnx/vision_encoder.onnx"]);
  await folder(path.join(models, "clip"), ["config.json", "onnx/vision_model.onnx"]);
  await folder(path.join(models, "dinov2"), ["config.json", "onnx/model.onnx"]);
  // Not model folders: no graph, no config, a plain file.
  await folder(path.join(models, "half-copied"), ["config.json"]);
  await folder(path.join(models, "notes"), ["onnx/vision_encoder.onnx"]);
  await fs.writeFile(path.join(models, "README.md"), "");
  const extra = await folder(path.join(root, "elsewhere", "siglip"), [
    "config.json",
    "onnx/vision_model.onnx",
  ]);
  settings = { modelDir: path.join(models, "florence"), modelsDir: models, modelDirs: [extra] };
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe("known model folders", () => {
  it("lists the default first, then MODEL_DIRS, then MODELS_DIR's model folders, each once", async () => {
    const known = await listKnownModels(settings);
    expect(known.map((m) => [m.name, m.isDefault])).toEqual([
      ["florence", true],
      ["siglip", false],
      ["clip", false],
      ["dinov2", false],
    ]);
  });

  it("resolves a model by name or path, the default when none is named", async () => {
    expect((await resolveKnownModel(settings, undefined)).name).toBe("florence");
    expect((await resolveKnownModel(settings, "clip")).dir).toBe(path.join(root, "models", "clip"));
    expect((await resolveKnownModel(settings, path.join(root, "models", "x", "..", "dinov2"))).name).toBe(
      "dinov2",
    );
  });

  it("refuses folders it does not know with a BAD_INPUT AppError, paths that climb out included", async () => {
    for (const requested of ["half-copied", "notes", "../models/clip", path.join(root, "models"), "/etc", ""])
      await expect(resolveKnownModel(settings, requested)).rejects.toSatisfy(
        (error) =>
          error instanceof AppError && error.code === "BAD_INPUT" && /Unknown model/.test(error.message),
      );
  });
});
