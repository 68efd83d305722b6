import type { Tensor } from "~/lib/tensor";
import { UnsupportedRequestError } from "./errors";
import type { LoadedModel } from "./load-model";
import type { FeedValue } from "./ort-graph";
import { type BreadthPrompt, resolvePrompt } from "./task-prompts";
import { batchItem, channelsLastTokens, concatChannels, int64, ones64, stackItems } from "./token-ops";
import { encodeWithVisionEncoder, type LoadedVisionEncoder } from "./vision-encoder";

/** A token grid of one feature source for one image. */
export interface FeatureSource {
  /** [tokens, dim]; when `hasPooledToken`, token 0 is the pooled token and tokens 1.. are the grid row-major. */
  tensor: Tensor<Float32Array>;
  grid: [number, number];
  hasPooledToken: boolean;
}

/** The encoder pass of one prompt, kept so the prompt's answer can be generated without re-encoding. */
export interface EncoderState {
  prompt: BreadthPrompt;
  /** [1, S, d] and the matching mask, S = image tokens + prompt tokens. */
  hiddenStates: Tensor<Float32Array>;
  attentionMask: Tensor<BigInt64Array>;
  promptIds: number[];
  /** Per encoder layer [1, heads, S, S], when the graph exports attention and it was asked for. */
  attentions: Tensor<Float32Array>[] | null;
}

export interface EncodedImage {
  /** `depth:stage1..4`, `depth:V`, `breadth:<TASK>` (or `breadth:custom:<text>`), `fused`. */
  sources: Record<string, FeatureSource>;
  encoder: EncoderState[];
  /** V's grid geometry, shared by every image-token source. */
  grid: [number, number];
  imageTokenCount: number;
  /** Wall time of the batch's stages (shared by its images): vision tower, encoder (all prompts), fusion. */
  stageMs: { vision: number; encoder: number; fusion: number };
}

export interface EncodeRequest {
  /** Task tokens or free text; Florence-VL's three prompts are the usual set. */
  prompts: readonly string[];
  /** Also return per-stage grids when the graph exports them (large). */
  includeStages: boolean;
  /** Compute the fused features (needs the fusion prompts, which are added to the encoder batch if missing). */
  includeFused: boolean;
  /** Return encoder self-attention when the graph exports it. */
  includeAttention: boolean;
  /** How prompts enter the encoder; defaults to the folder's fvl.json (see `breadthMode`). */
  breadthMode?: BreadthMode;
}

/**
 * "florence-vl": Florence-VL's extraction, the prompts' fixed token ids from fvl.json padded with <pad> and all
 * attended; "lens": each prompt tokenized (`<s> text </s>`), padding masked out.
 */
export type BreadthMode = "florence-vl" | "lens";

export function breadthMode(model: LoadedModel): BreadthMode {
  return model.manifest?.breadth?.mode ?? "lens";
}

/**
 * Runs the vision tower once per image and the encoder once per (image, prompt), all prompts of a batch of
 * images in one encoder call; returns depth, breadth and fused features per image. A comparison encoder gives
 * its one `encoder:<family>` source instead (prompts, stages, fusion and attention do not apply to it).
 */
export async function encodeImages(
  model: LoadedModel | LoadedVisionEncoder,
  pixelValues: readonly Float32Array[],
  request: EncodeRequest,
): Promise<EncodedImage[]> {
  if (model.kind === "encoder") return encodeWithVisionEncoder(model, pixelValues);
  const { preprocess } = model;
  const batch = pixelValues.length;
  const pixels = new Float32Array(batch * 3 * preprocess.height * preprocess.width);
  for (const [b, values] of pixelValues.entries()) pixels.set(values, b * values.length);

  const stageNames = request.includeStages
    ? model.vision.outputs.map((o) => o.name).filter((n) => /^stage_\d+$/.test(n))
    : [];
  const started = performance.now();
  const vision = await model.vision.run(
    { pixel_values: { data: pixels, dims: [batch, 3, preprocess.height, preprocess.width] } },
    ["image_features", ...stageNames],
  );
  const imageFeatures = required(vision, "image_features"); // [batch, N, d]
  const imageTokenCount = imageFeatures.dims[1] ?? 0;
  const geometry = tokenGeometry(imageTokenCount);

  const visionDone = performance.now();
  const prompts = promptsToRun(model, request);
  const perImage = await runEncoder(
    model,
    imageFeatures,
    prompts,
    request.includeAttention,
    request.breadthMode ?? breadthMode(model),
  );
  const encoderDone = performance.now();
  const stageMs = { vision: visionDone - started, encoder: encoderDone - visionDone, fusion: 0 };

  const results: EncodedImage[] = [];
  const fusionInputs: FusionInput[] = [];
  for (let b = 0; b < batch; b++) {
    const sources: Record<string, FeatureSource> = {};
    for (const name of stageNames) {
      const grid = batchItem(vision[name] as Tensor<Float32Array>, b); // [C, H, W]
      const [, height = 0, width = 0] = grid.dims;
      const tokens = channelsLastTokens({ data: grid.data, dims: [1, ...grid.dims] });
      sources[`depth:stage${name.slice("stage_".length)}`] = {
        tensor: batchItem(tokens, 0),
        grid: [height, width],
        hasPooledToken: false,
      };
    }
    const v = batchItem(imageFeatures, b);
    sources["depth:V"] = { tensor: v, ...geometry };
    const states = perImage[b] ?? [];
    const breadth = new Map<string, Tensor<Float32Array>>();
    for (const state of states) {
      const [, , dim = 0] = state.hiddenStates.dims;
      const features = {
        data: state.hiddenStates.data.slice(0, imageTokenCount * dim),
        dims: [imageTokenCount, dim],
      };
      breadth.set(state.prompt.key, features);
      if (request.prompts.some((p) => resolvePrompt(p).key === state.prompt.key)) {
        sources[`breadth:${state.prompt.key}`] = { tensor: features, ...geometry };
      }
    }
    fusionInputs.push({ v, breadth });
    results.push({ sources, encoder: states, grid: geometry.grid, imageTokenCount, stageMs });
  }
  if (request.includeFused) {
    const fusionStarted = performance.now();
    const fused = await fuse(model, fusionInputs);
    for (const [b, result] of results.entries()) {
      result.sources.fused = { tensor: batchItem(fused, b), ...geometry };
    }
    stageMs.fusion = performance.now() - fusionStarted;
  }
  return results;
}

/** Florence-2 image tokens: a pooled token followed by a square grid (577 = 1 + 24²), or a bare square grid. */
function tokenGeometry(tokens: number): { grid: [number, number]; hasPooledToken: boolean } {
  const withPooled = Math.round(Math.sqrt(tokens - 1));
  if (withPooled * withPooled === tokens - 1) return { grid: [withPooled, withPooled], hasPooledToken: true };
  const bare = Math.round(Math.sqrt(tokens));
  if (bare * bare === tokens) return { grid: [bare, bare], hasPooledToken: false };
  return { grid: [1, tokens], hasPooledToken: false };
}

/** The requested prompts, plus the fusion prompts when fused features are asked for. */
function promptsToRun(model: LoadedModel, request: EncodeRequest): BreadthPrompt[] {
  const prompts = request.prompts.map((p) => resolvePrompt(p));
  if (request.includeFused) {
    for (const task of fusionOrder(model).filter((source) => source !== "V")) {
      if (!prompts.some((p) => p.key === task)) prompts.push(resolvePrompt(task));
    }
  }
  return prompts;
}

/** Sources in fusion order: from fvl.json, or V then Florence-VL's three prompts for stock folders. */
export function fusionOrder(model: LoadedModel): string[] {
  return model.manifest?.fusion.order ?? ["V", "<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>"];
}

async function runEncoder(
  model: LoadedModel,
  imageFeatures: Tensor<Float32Array>,
  prompts: readonly BreadthPrompt[],
  includeAttention: boolean,
  mode: BreadthMode,
): Promise<EncoderState[][]> {
  const [batch = 1, imageTokens = 0, dim = 0] = imageFeatures.dims;
  const fixedIds = (prompt: BreadthPrompt) =>
    mode === "florence-vl"
      ? model.manifest?.prompts.find((p) => p.task === prompt.key)?.token_ids
      : undefined;
  // Fixed ids carry their padding, which is attended like the text (the mask below covers all of promptIds).
  const promptIds = prompts.map((p) => fixedIds(p) ?? model.tokenizer.encode(p.text));
  const maxLength = Math.max(...promptIds.map((ids) => ids.length));
  const rows = batch * prompts.length;
  // Row r = image ⌊r / P⌋ with prompt r mod P: [V of the image; the prompt's embedding], right-padded with zeros
  // and the padding masked out; built in one pass.
  const embeddings = await promptEmbeddings(model, promptIds);
  const width = imageTokens + maxLength;
  const inputs = new Float32Array(rows * width * dim);
  const mask = new BigInt64Array(rows * width);
  for (let b = 0; b < batch; b++) {
    const image = imageFeatures.data.subarray(b * imageTokens * dim, (b + 1) * imageTokens * dim);
    for (const [p, embedding] of embeddings.entries()) {
      const start = (b * prompts.length + p) * width;
      inputs.set(image, start * dim);
      inputs.set(embedding.data, (start + imageTokens) * dim);
      mask.fill(1n, start, start + imageTokens + (promptIds[p]?.length ?? 0));
    }
  }
  const inputsEmbeds = { data: inputs, dims: [rows, width, dim] };
  const attentionMask = { data: mask, dims: [rows, width] };
  const attentionNames = includeAttention
    ? model.encoder.outputs.map((o) => o.name).filter((n) => /^attentions\.\d+$/.test(n))
    : [];
  const out = await model.encoder.run(
    { inputs_embeds: inputsEmbeds, attention_mask: attentionMask } satisfies Record<string, FeedValue>,
    ["last_hidden_state", ...attentionNames],
  );
  const hidden = required(out, "last_hidden_state");
  const states: EncoderState[][] = [];
  for (let b = 0; b < batch; b++) {
    const perPrompt: EncoderState[] = [];
    for (const [p, prompt] of prompts.entries()) {
      const row = b * prompts.length + p;
      const length = imageTokens + (promptIds[p]?.length ?? 0);
      const start = row * width * dim;
      const item = { data: hidden.data.slice(start, start + length * dim), dims: [1, length, dim] };
      perPrompt.push({
        prompt,
        hiddenStates: item,
        attentionMask: ones64([1, length]),
        promptIds: promptIds[p] ?? [],
        attentions:
          attentionNames.length > 0
            ? attentionNames.map((name) => cropAttention(required(out, name), row, length))
            : null,
      });
    }
    states.push(perPrompt);
  }
  return states;
}

/** Prompt embeddings depend only on the weights: each prompt is embedded once per loaded model. */
const promptEmbeddingCache = new WeakMap<LoadedModel, Map<string, Tensor<Float32Array>>>();

/** Each prompt's token embeddings, [1, length, d], from the cache or embed_tokens. */
async function promptEmbeddings(
  model: LoadedModel,
  promptIds: readonly number[][],
): Promise<Tensor<Float32Array>[]> {
  let cache = promptEmbeddingCache.get(model);
  if (cache === undefined) {
    cache = new Map();
    promptEmbeddingCache.set(model, cache);
  }
  const embeddings: Tensor<Float32Array>[] = [];
  for (const ids of promptIds) {
    const key = ids.join(",");
    let embedded = cache.get(key);
    if (embedded === undefined) {
      embedded = required(
        await model.embedTokens.run({ input_ids: int64(ids, [1, ids.length]) }),
        "inputs_embeds",
      );
      cache.set(key, embedded);
    }
    embeddings.push(embedded);
  }
  return embeddings;
}

/** [rows, heads, S, S] → row `row`'s [1, heads, length, length] (drops the padding). */
function cropAttention(attention: Tensor<Float32Array>, row: number, length: number): Tensor<Float32Array> {
  const [, heads = 0, size = 0] = attention.dims;
  const out = new Float32Array(heads * length * length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < length; i++) {
      const src = ((row * heads + h) * size + i) * size;
      out.set(attention.data.subarray(src, src + length), (h * length + i) * length);
    }
  }
  return { data: out, dims: [1, heads, length, length] };
}

interface FusionInput {
  v: Tensor<Float32Array>;
  breadth: ReadonlyMap<string, Tensor<Float32Array>>;
}

/**
 * DBFusion for a batch of images: channel concatenation in fusion order, then one projector call
 * (raw concatenation without a projector). Returns [batch, tokens, d].
 */
async function fuse(model: LoadedModel, images: readonly FusionInput[]): Promise<Tensor<Float32Array>> {
  const parts = fusionOrder(model).map((source) =>
    stackItems(
      images.map(({ v, breadth }) => {
        const part = source === "V" ? v : breadth.get(source);
        if (part === undefined) throw new UnsupportedRequestError(`Fusion needs the ${source} features.`);
        return part;
      }),
    ),
  );
  const fused = concatChannels(parts);
  if (model.projector === null) return fused;
  const input = model.manifest?.fusion.input ?? "fused_features";
  const output = model.manifest?.fusion.output ?? "visual_tokens";
  return required(await model.projector.run({ [input]: fused }, [output]), output);
}

export function required(outputs: Record<string, Tensor<Float32Array>>, name: string): Tensor<Float32Array> {
  const tensor = outputs[name];
  if (tensor === undefined) throw new Error(`graph output ${name} missing`);
  return tensor;
}
