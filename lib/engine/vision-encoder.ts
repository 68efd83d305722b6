/**
 * Comparison encoders: model folders holding only a CLIP, SigLIP or DINOv2 vision encoder in the Hugging Face /
 * onnx-community ONNX layout (docs/architecture.md, "Comparison encoders"). One source per image,
 * `encoder:<family>`: the pooled token (pooler_output) followed by the patch tokens as a square grid, the same
 * FeatureSource shape the Florence paths give, so feature files, projections, alignment and the explorer take it
 * unchanged. No prompts, task answers, attention maps or language model.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Tensor } from "~/lib/tensor";
import type { EncodedImage } from "./encode";
import { ModelFolderError } from "./errors";
import { type HfImageProcessor, parseHfImageProcessor } from "./hf-image-processor";
import { checkContract, checkVisionSize, parseJson, readRequired, sha256, sha256File } from "./load-model";
import type { ModelInfo } from "./model-info";
import { OrtGraph, type SessionSettings } from "./ort-graph";
import { batchItem } from "./token-ops";

export type EncoderFamily = "clip" | "siglip" | "dinov2";

/** config.json model_type → family (a full CLIP / SigLIP config holds the tower's in vision_config). */
const FAMILY_OF_MODEL_TYPE: Record<string, EncoderFamily> = {
  clip: "clip",
  clip_vision_model: "clip",
  siglip: "siglip",
  siglip_vision_model: "siglip",
  dinov2: "dinov2",
};
export const ENCODER_MODEL_TYPES = Object.keys(FAMILY_OF_MODEL_TYPE);

/** Where the graph is: onnx-community names DINOv2's onnx/model.onnx. */
export const ENCODER_GRAPH_FILES = ["onnx/vision_model.onnx", "onnx/model.onnx"] as const;
const GRAPH_FILES: Record<EncoderFamily, readonly string[]> = {
  clip: ["onnx/vision_model.onnx"],
  siglip: ["onnx/vision_model.onnx"],
  dinov2: ENCODER_GRAPH_FILES,
};

const CONTRACT = {
  inputs: { pixel_values: { type: "float32", rank: 4 } },
  outputs: { last_hidden_state: { type: "float32", rank: 3 }, pooler_output: { type: "float32", rank: 2 } },
};

export interface LoadedVisionEncoder {
  dir: string;
  kind: "encoder";
  family: EncoderFamily;
  /** The feature source's name: `encoder:<family>`. */
  source: string;
  preprocess: HfImageProcessor;
  vision: OrtGraph;
  /** Tokens before the patches in last_hidden_state: the class token (CLIP, DINOv2) and DINOv2's registers. */
  prefixTokens: number;
  /** The patch grid, from the graph's output shape. */
  grid: [number, number];
  dims: number;
  dtype: "fp32";
  /** sha256 over config.json, preprocessor_config.json and the graph: identifies the weights that made a feature. */
  fingerprint: string;
  release(): Promise<void>;
}

export function encoderFamilyOf(config: Record<string, unknown>): EncoderFamily | null {
  return typeof config.model_type === "string" ? (FAMILY_OF_MODEL_TYPE[config.model_type] ?? null) : null;
}

/**
 * Opens a comparison-encoder folder after checking it: the preprocessor config (a processor Lens reproduces, a
 * fixed output size), the graph's input and output names, dtypes and ranks, its input size against the
 * processor's, a square patch count after the family's prefix tokens, and a pooled vector as wide as the tokens.
 */
export async function loadVisionEncoder(
  root: string,
  configText: string,
  session: SessionSettings,
): Promise<LoadedVisionEncoder> {
  const config = parseJson(configText, "config.json");
  const family = encoderFamilyOf(config);
  if (family === null)
    throw new ModelFolderError(
      "unknown-model-type",
      "config.json",
      `model_type ${ENCODER_MODEL_TYPES.join(", ")}`,
      `got ${JSON.stringify(config.model_type)}`,
    );
  const preprocessText = await readRequired(root, "preprocessor_config.json");
  const preprocess = parseHfImageProcessor(parseJson(preprocessText, "preprocessor_config.json"), family);
  const file = await graphFile(root, family);
  const vision = await OrtGraph.open(path.join(root, file), file, session);
  try {
    checkContract(vision, CONTRACT);
    checkVisionSize(vision, preprocess);
    const { tokens, dims, pooledDims } = await outputShape(vision, preprocess);
    if (pooledDims !== dims)
      throw new ModelFolderError(
        "wrong-shape",
        file,
        `pooler_output [batch, ${dims}] as wide as last_hidden_state`,
        `got ${pooledDims}`,
      );
    const prefixTokens = prefixTokensOf(family, config);
    const side = Math.round(Math.sqrt(tokens - prefixTokens));
    if (side < 1 || side * side !== tokens - prefixTokens)
      throw new ModelFolderError(
        "wrong-shape",
        file,
        `a square number of patch tokens after ${prefixTokens} prefix token(s) in last_hidden_state`,
        `got ${tokens} tokens`,
      );
    return {
      dir: root,
      kind: "encoder",
      family,
      source: `encoder:${family}`,
      preprocess,
      vision,
      prefixTokens,
      grid: [side, side],
      dims,
      dtype: "fp32",
      fingerprint: sha256(`${configText}\n${preprocessText}\n${await sha256File(path.join(root, file))}`),
      release: () => vision.release(),
    };
  } catch (error) {
    await vision.release();
    throw error;
  }
}

async function graphFile(root: string, family: EncoderFamily): Promise<string> {
  for (const file of GRAPH_FILES[family]) {
    if ((await fs.stat(path.join(root, file)).catch(() => null))?.isFile()) return file;
  }
  throw new ModelFolderError(
    "missing-file",
    GRAPH_FILES[family][0] ?? "onnx/",
    `the ${family} vision encoder graph ${GRAPH_FILES[family].join(" or ")}`,
  );
}

function prefixTokensOf(family: EncoderFamily, config: Record<string, unknown>): number {
  if (family === "siglip") return 0;
  const registers = family === "dinov2" ? config.num_register_tokens : 0;
  return 1 + (typeof registers === "number" ? registers : 0);
}

/** Token count and widths from the output shapes; a graph with symbolic ones (dynamic image size) is run once. */
async function outputShape(
  graph: OrtGraph,
  preprocess: HfImageProcessor,
): Promise<{ tokens: number; dims: number; pooledDims: number }> {
  const hidden = graph.outputs.find((o) => o.name === "last_hidden_state")?.shape ?? [];
  const pooled = graph.outputs.find((o) => o.name === "pooler_output")?.shape ?? [];
  const [, tokens, dims] = hidden;
  const [, pooledDims] = pooled;
  if (typeof tokens === "number" && typeof dims === "number" && typeof pooledDims === "number")
    return { tokens, dims, pooledDims };
  const out = await runVisionEncoder({ vision: graph, preprocess }, [
    new Float32Array(3 * preprocess.height * preprocess.width),
  ]);
  return {
    tokens: out.lastHiddenState.dims[1] ?? 0,
    dims: out.lastHiddenState.dims[2] ?? 0,
    pooledDims: out.poolerOutput.dims[1] ?? 0,
  };
}

/** The graph's raw outputs for a batch of preprocessed images: [B, T, D] and [B, D]. */
export async function runVisionEncoder(
  model: Pick<LoadedVisionEncoder, "vision" | "preprocess">,
  pixelValues: readonly Float32Array[],
): Promise<{ lastHiddenState: Tensor<Float32Array>; poolerOutput: Tensor<Float32Array> }> {
  const { height, width } = model.preprocess;
  const pixels = new Float32Array(pixelValues.length * 3 * height * width);
  for (const [b, values] of pixelValues.entries()) pixels.set(values, b * values.length);
  const out = await model.vision.run(
    { pixel_values: { data: pixels, dims: [pixelValues.length, 3, height, width] } },
    ["last_hidden_state", "pooler_output"],
  );
  const lastHiddenState = out.last_hidden_state;
  const poolerOutput = out.pooler_output;
  if (lastHiddenState === undefined || poolerOutput === undefined)
    throw new Error(`${model.vision.file} returned no last_hidden_state / pooler_output`);
  return { lastHiddenState, poolerOutput };
}

/** Each image's one source: [1 + rows·cols, D], the pooled vector at token 0, then the patches row-major. */
export async function encodeWithVisionEncoder(
  model: LoadedVisionEncoder,
  pixelValues: readonly Float32Array[],
): Promise<EncodedImage[]> {
  const started = performance.now();
  const { lastHiddenState, poolerOutput } = await runVisionEncoder(model, pixelValues);
  const stageMs = { vision: performance.now() - started, encoder: 0, fusion: 0 };
  const patches = model.grid[0] * model.grid[1];
  const { dims } = model;
  return pixelValues.map((_, b) => {
    const hidden = batchItem(lastHiddenState, b); // [T, D]
    const tensor = new Float32Array((1 + patches) * dims);
    tensor.set(poolerOutput.data.subarray(b * dims, (b + 1) * dims), 0);
    tensor.set(hidden.data.subarray(model.prefixTokens * dims, (model.prefixTokens + patches) * dims), dims);
    return {
      sources: {
        [model.source]: {
          tensor: { data: tensor, dims: [1 + patches, dims] },
          grid: model.grid,
          hasPooledToken: true,
        },
      },
      encoder: [],
      grid: model.grid,
      imageTokenCount: 1 + patches,
      stageMs,
    };
  });
}

export function describeVisionEncoder(model: LoadedVisionEncoder): ModelInfo {
  return {
    name: model.dir.split(/[\\/]/).pop() ?? model.dir,
    dir: model.dir,
    kind: "encoder",
    sourceFormat: model.source,
    dtype: model.dtype,
    dtypes: [model.dtype],
    exporterVersion: null,
    breadthMode: "lens",
    padToSquare: false,
    imageTokenCount: 1 + model.grid[0] * model.grid[1],
    prompts: [],
    depthLevels: [],
    sources: [{ name: model.source, grid: model.grid, dims: model.dims }],
    fusionOrder: [],
    hasProjector: false,
    hasLanguageModel: false,
    attentionOutputs: [],
    sourceFiles: {},
  };
}
