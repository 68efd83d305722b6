import fs from "node:fs/promises";
import path from "node:path";
import { ModelFolderError } from "./errors";
import { type LoadedModel, type LoadModelOptions, loadModel, parseJson, readOptional } from "./load-model";
import {
  ENCODER_GRAPH_FILES,
  ENCODER_MODEL_TYPES,
  encoderFamilyOf,
  type LoadedVisionEncoder,
  loadVisionEncoder,
} from "./vision-encoder";

/** Any model folder Lens serves: Florence-2 / Florence-VL, or a comparison encoder (CLIP, SigLIP, DINOv2). */
export type LoadedModelFolder = LoadedModel | LoadedVisionEncoder;

/**
 * Opens a model folder of either kind, told apart by config.json's model_type: a comparison encoder's
 * (clip, clip_vision_model, siglip, siglip_vision_model, dinov2) or else Florence's (loadModel). A folder in the
 * encoder layout (onnx/vision_model.onnx or onnx/model.onnx, no Florence graphs) with another model_type is an
 * `unknown-model-type` ModelFolderError.
 */
export async function loadModelFolder(dir: string, options: LoadModelOptions): Promise<LoadedModelFolder> {
  const root = path.resolve(dir);
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory())
    throw new ModelFolderError("missing-file", ".", "a model folder", `${root} is not a folder`);
  const configText = await readOptional(root, "config.json");
  const config = configText === null ? null : parseJson(configText, "config.json");
  if (configText !== null && config !== null && encoderFamilyOf(config) !== null) {
    if (options.dtype !== undefined && options.dtype !== "fp32")
      throw new ModelFolderError(
        "missing-file",
        ENCODER_GRAPH_FILES[0],
        `the ${options.dtype} variant`,
        "comparison encoders are fp32",
      );
    return loadVisionEncoder(root, configText, options.session);
  }
  if (config !== null && config.model_type !== "florence2" && (await isEncoderLayout(root)))
    throw new ModelFolderError(
      "unknown-model-type",
      "config.json",
      `model_type florence2, or one of ${ENCODER_MODEL_TYPES.join(", ")} for a comparison encoder`,
      `got ${JSON.stringify(config.model_type)}`,
    );
  return loadModel(root, options);
}

async function isEncoderLayout(root: string): Promise<boolean> {
  const exists = (file: string) =>
    fs.stat(path.join(root, file)).then(
      () => true,
      () => false,
    );
  if (await exists("onnx/vision_encoder.onnx")) return false;
  for (const file of ENCODER_GRAPH_FILES) if (await exists(file)) return true;
  return false;
}
