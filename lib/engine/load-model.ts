import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { ModelFolderError } from "./errors";
import { type FvlManifest, fvlManifestSchema } from "./manifest";
import { type ExecutionProvider, OrtGraph, type SessionSettings, type ValueInfo } from "./ort-graph";
import type { PreprocessConfig } from "./preprocess";
import { TextTokenizer } from "./text-tokenizer";

/** Inputs and outputs every graph of the onnx-community Florence-2 layout must have (docs/architecture.md, "The model-folder contract"). */
export interface IoSpec {
  type: string;
  rank: number;
}
export interface GraphContract {
  inputs: Record<string, IoSpec>;
  outputs: Record<string, IoSpec>;
}
const F32_3D = { type: "float32", rank: 3 };
const I64_2D = { type: "int64", rank: 2 };

const STOCK_CONTRACT = {
  vision: {
    inputs: { pixel_values: { type: "float32", rank: 4 } },
    outputs: { image_features: F32_3D },
  },
  embedTokens: { inputs: { input_ids: I64_2D }, outputs: { inputs_embeds: F32_3D } },
  encoder: {
    inputs: { inputs_embeds: F32_3D, attention_mask: I64_2D },
    outputs: { last_hidden_state: F32_3D },
  },
  decoder: {
    inputs: { inputs_embeds: F32_3D, encoder_hidden_states: F32_3D, encoder_attention_mask: I64_2D },
    outputs: { logits: F32_3D },
  },
} satisfies Record<string, GraphContract>;

const STOCK_FILES = {
  vision: "onnx/vision_encoder.onnx",
  embedTokens: "onnx/embed_tokens.onnx",
  encoder: "onnx/encoder_model.onnx",
} as const;
// The merged decoder (with a key/value cache) is preferred; the plain one recomputes every step.
const DECODER_FILES = ["onnx/decoder_model_merged.onnx", "onnx/decoder_model.onnx"] as const;

export interface LoadModelOptions {
  session: SessionSettings;
  /** Which weight variant to open (`_fp16` files); defaults to fp32, or the folder's only exported dtype. */
  dtype?: ModelDtype;
  /**
   * The language model's weight variant (fvl.json llm.variants: fp32, fp16, int8, int4); defaults to `dtype`'s,
   * except fp16 on the CPU provider (see `languageModelFiles`).
   */
  languageModelVariant?: string;
}

export type ModelDtype = "fp32" | "fp16";

/** onnx-community's dtype suffix: onnx/encoder_model.onnx → onnx/encoder_model_fp16.onnx. */
export function variantFile(file: string, dtype: ModelDtype): string {
  return dtype === "fp32" ? file : file.replace(/\.onnx$/, `_${dtype}.onnx`);
}

/** Token ids and decoding defaults of the Florence-2 part. */
export interface GenerationDefaults {
  decoderStartId: number;
  bosId: number;
  eosId: number;
  padId: number;
  forcedBosId: number | null;
  isEosForced: boolean;
  numBeams: number;
  noRepeatNgramSize: number;
  maxNewTokens: number;
  /** Beam search stops once num_beams hypotheses finish (early_stopping: true, e.g. Microsoft's Florence-2). */
  isEarlyStopping: boolean;
}

export interface LanguageModelParts {
  embedTokens: OrtGraph;
  decoder: OrtGraph;
  /** The language model's tokenizer (Florence-2's own for the bundled model, the LLM's for real checkpoints). */
  tokenizer: TextTokenizer;
  /** The weight variant opened (fvl.json llm.variants key, or the main graphs' dtype). */
  variant: string;
}

export interface LoadedModel {
  dir: string;
  /** "florence-vl" when fvl.json and its language model are present, else a stock "florence-2" folder. */
  kind: "florence-vl" | "florence-2";
  manifest: FvlManifest | null;
  preprocess: PreprocessConfig;
  tokenizer: TextTokenizer;
  generation: GenerationDefaults;
  vision: OrtGraph;
  embedTokens: OrtGraph;
  encoder: OrtGraph;
  decoder: OrtGraph;
  languageModel: LanguageModelParts | null;
  /** DBFusion's projector (Florence-VL exports); without it `fused` is the raw channel concatenation. */
  projector: OrtGraph | null;
  /** The weight variant the Florence-2 graphs were opened in. */
  dtype: ModelDtype;
  /** sha256 of fvl.json (or config.json for stock folders): identifies the weights that made a feature. */
  fingerprint: string;
  release(): Promise<void>;
}

/**
 * Opens a model folder after checking it against the model-directory contract: required files, JSON configs,
 * graph input/output names, dtypes and ranks, the vision input size, and (for our exports) every file's sha256
 * from fvl.json. Any mismatch is a ModelFolderError naming the file and what was expected.
 */
export async function loadModel(dir: string, options: LoadModelOptions): Promise<LoadedModel> {
  const root = path.resolve(dir);
  const stat = await fs.stat(root).catch(() => null);
  if (!stat?.isDirectory())
    throw new ModelFolderError("missing-file", ".", "a model folder", `${root} is not a folder`);

  const manifestText = await readOptional(root, "fvl.json");
  const manifest = manifestText === null ? null : parseJson(manifestText, "fvl.json", fvlManifestSchema);
  if (manifest !== null) await verifyChecksums(root, manifest.files);

  const config = parseJson(await readRequired(root, "config.json"), "config.json");
  const preprocess = toPreprocessConfig(
    parseJson(await readRequired(root, "preprocessor_config.json"), "preprocessor_config.json"),
  );
  const tokenizerJson = parseJson(await readRequired(root, "tokenizer.json"), "tokenizer.json");
  const tokenizerConfigText = await readOptional(root, "tokenizer_config.json");
  const tokenizer = new TextTokenizer(
    tokenizerJson,
    tokenizerConfigText === null ? {} : parseJson(tokenizerConfigText, "tokenizer_config.json"),
  );
  const generationText = await readOptional(root, "generation_config.json");
  const generation = generationDefaults(
    config,
    generationText === null ? {} : parseJson(generationText, "generation_config.json"),
    manifest,
  );

  const opened: OrtGraph[] = [];
  const open = async (file: string, contract: GraphContract | null) => {
    await readRequiredPath(root, file);
    const graph = await OrtGraph.open(path.join(root, file), file, options.session);
    opened.push(graph);
    if (contract !== null) checkContract(graph, contract);
    return graph;
  };
  const exported = manifest?.dtypes;
  if (options.dtype !== undefined && exported !== undefined && !exported.includes(options.dtype))
    throw new ModelFolderError(
      "missing-file",
      variantFile(STOCK_FILES.vision, options.dtype),
      `the ${options.dtype} variant`,
      `fvl.json lists ${exported.join(", ")} only; export with --dtype ${[...exported, options.dtype].join(",")}`,
    );
  const dtype =
    options.dtype ?? (exported !== undefined && !exported.includes("fp32") ? exported[0] : "fp32");
  const variant = (file: string) => variantFile(file, dtype ?? "fp32");
  try {
    const vision = await open(variant(STOCK_FILES.vision), STOCK_CONTRACT.vision);
    checkVisionSize(vision, preprocess);
    const embedTokens = await open(variant(STOCK_FILES.embedTokens), STOCK_CONTRACT.embedTokens);
    const encoder = await open(variant(STOCK_FILES.encoder), STOCK_CONTRACT.encoder);
    const decoderFile = await firstExisting(root, DECODER_FILES.map(variant));
    const decoder = await open(decoderFile, STOCK_CONTRACT.decoder);
    const fusion = manifest?.fusion;
    const projector =
      fusion?.projector == null
        ? null
        : await open(variant(fusion.projector), {
            inputs: { [fusion.input ?? "fused_features"]: F32_3D },
            outputs: { [fusion.output ?? "visual_tokens"]: F32_3D },
          });
    const llmFiles =
      manifest?.llm === undefined
        ? null
        : languageModelFiles(
            manifest.llm,
            options.languageModelVariant,
            dtype ?? "fp32",
            options.session.executionProvider,
          );
    const languageModel =
      manifest?.llm === undefined || llmFiles === null
        ? null
        : {
            variant: llmFiles.variant,
            embedTokens: await open(llmFiles.embed, STOCK_CONTRACT.embedTokens),
            decoder: await open(llmFiles.decoder, {
              inputs: { inputs_embeds: F32_3D, attention_mask: I64_2D },
              outputs: { logits: F32_3D, last_hidden_state: F32_3D },
            }),
            tokenizer:
              manifest.llm.tokenizer === undefined
                ? tokenizer
                : new TextTokenizer(
                    parseJson(await readRequired(root, manifest.llm.tokenizer), manifest.llm.tokenizer),
                    manifest.llm.tokenizer_config === undefined
                      ? {}
                      : parseJson(
                          await readRequired(root, manifest.llm.tokenizer_config),
                          manifest.llm.tokenizer_config,
                        ),
                  ),
          };
    return {
      dir: root,
      kind: languageModel === null ? "florence-2" : "florence-vl",
      manifest,
      preprocess,
      tokenizer,
      generation,
      vision,
      embedTokens,
      encoder,
      decoder,
      languageModel,
      projector,
      dtype: dtype ?? "fp32",
      fingerprint: sha256(manifestText ?? (await readRequired(root, "config.json"))),
      release: async () => {
        await Promise.all(opened.map((graph) => graph.release()));
      },
    };
  } catch (error) {
    await Promise.all(opened.map((graph) => graph.release()));
    throw error;
  }
}

/**
 * The language model's graphs: the requested variant, else the model dtype's variant, else the main graphs. On the
 * CPU provider an fp16 language model gives way to its int8 (else int4) variant: ONNX Runtime's CPU provider has
 * no fp16 matrix product on x86 and widens fp16 weights to fp32 copies as it loads them (a full-size Phi-3.5-mini
 * passed 16 GB), while MatMulNBits runs the quantized weights as they are stored.
 */
function languageModelFiles(
  llm: NonNullable<FvlManifest["llm"]>,
  requested: string | undefined,
  dtype: ModelDtype,
  provider: ExecutionProvider,
): { decoder: string; embed: string; variant: string } {
  const variants = llm.variants ?? {};
  if (requested !== undefined) {
    const chosen = variants[requested];
    if (chosen === undefined)
      throw new ModelFolderError(
        "missing-file",
        "fvl.json",
        `a language-model variant ${requested} (llm.variants has ${Object.keys(variants).join(", ") || "none"})`,
      );
    return { decoder: chosen.decoder, embed: chosen.embed, variant: requested };
  }
  const preferred = provider === "cpu" && dtype === "fp16" ? ["int8", "int4", dtype] : [dtype];
  for (const name of preferred) {
    const chosen = variants[name];
    if (chosen !== undefined) return { decoder: chosen.decoder, embed: chosen.embed, variant: name };
  }
  return { decoder: llm.decoder, embed: llm.embed, variant: llm.dtype ?? dtype };
}

/** Resolves `file` inside `root`, refusing paths that escape it (a manifest is data, not trusted code). */
function insideRoot(root: string, file: string): string {
  const full = path.resolve(root, file);
  if (full !== root && !full.startsWith(root + path.sep)) {
    throw new ModelFolderError(
      "bad-json",
      "fvl.json",
      "paths inside the model folder",
      `${file} points outside it`,
    );
  }
  return full;
}

export async function readOptional(root: string, file: string): Promise<string | null> {
  try {
    return await fs.readFile(insideRoot(root, file), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

export async function readRequired(root: string, file: string): Promise<string> {
  const text = await readOptional(root, file);
  if (text === null) throw new ModelFolderError("missing-file", file, `${file} in the model folder`);
  return text;
}

async function readRequiredPath(root: string, file: string): Promise<void> {
  const stat = await fs.stat(insideRoot(root, file)).catch(() => null);
  if (!stat?.isFile()) throw new ModelFolderError("missing-file", file, `the ONNX graph ${file}`);
}

async function firstExisting(root: string, files: readonly string[]): Promise<string> {
  for (const file of files) {
    if (await fs.stat(insideRoot(root, file)).catch(() => null)) return file;
  }
  throw new ModelFolderError("missing-file", files[0] ?? "onnx/", `one of ${files.join(" or ")}`);
}

export function parseJson(text: string, file: string): Record<string, unknown>;
export function parseJson<S extends z.ZodType>(text: string, file: string, schema: S): z.infer<S>;
export function parseJson(text: string, file: string, schema?: z.ZodType): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelFolderError(
      "bad-json",
      file,
      "valid JSON",
      error instanceof Error ? error.message : undefined,
    );
  }
  if (schema === undefined) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ModelFolderError("bad-json", file, "a JSON object");
    }
    return value;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFolderError(
      "bad-json",
      file,
      "the fvl.json layout version 1",
      `${issue?.path.join(".")}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

async function verifyChecksums(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, expected] of Object.entries(files)) {
    let actual: string;
    try {
      actual = await sha256File(insideRoot(root, file));
    } catch {
      throw new ModelFolderError("missing-file", file, `${file}, listed in fvl.json`);
    }
    if (actual !== expected) {
      throw new ModelFolderError("checksum-mismatch", file, `sha256 ${expected} (fvl.json)`, `got ${actual}`);
    }
  }
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Streamed, so multi-GB external-data files are hashed without being read into memory. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export function checkContract(graph: OrtGraph, contract: GraphContract): void {
  checkValues(graph.file, "input", graph.inputs, contract.inputs);
  checkValues(graph.file, "output", graph.outputs, contract.outputs);
}

function checkValues(
  file: string,
  kind: "input" | "output",
  actual: readonly ValueInfo[],
  expected: Record<string, IoSpec>,
) {
  for (const [name, spec] of Object.entries(expected)) {
    const value = actual.find((candidate) => candidate.name === name);
    if (value === undefined) {
      throw new ModelFolderError(
        kind === "input" ? "wrong-inputs" : "wrong-outputs",
        file,
        `${kind}s including ${Object.keys(expected).join(", ")}`,
        `it has ${actual.map((v) => v.name).join(", ") || "none"}`,
      );
    }
    if (value.type !== spec.type) {
      throw new ModelFolderError(
        "wrong-dtype",
        file,
        `${kind} ${name} of type ${spec.type}`,
        `got ${value.type}`,
      );
    }
    if (value.shape.length !== 0 && value.shape.length !== spec.rank) {
      throw new ModelFolderError(
        "wrong-shape",
        file,
        `${kind} ${name} of rank ${spec.rank}`,
        `got [${value.shape.join(", ")}]`,
      );
    }
  }
}

/** The vision input's fixed dimensions must match 3 channels and the preprocessor's size. */
export function checkVisionSize(graph: OrtGraph, preprocess: { height: number; width: number }): void {
  const shape = graph.inputs.find((input) => input.name === "pixel_values")?.shape ?? [];
  const expected = [null, 3, preprocess.height, preprocess.width];
  for (const [axis, want] of expected.entries()) {
    const got = shape[axis];
    if (want !== null && typeof got === "number" && got !== want) {
      throw new ModelFolderError(
        "wrong-shape",
        graph.file,
        `pixel_values [batch, 3, ${preprocess.height}, ${preprocess.width}] (preprocessor_config.json)`,
        `got [${shape.join(", ")}]`,
      );
    }
  }
}

function toPreprocessConfig(raw: Record<string, unknown>): PreprocessConfig {
  const size = raw.size as { height?: unknown; width?: unknown; shortest_edge?: unknown } | undefined;
  const height = Number(size?.height ?? size?.shortest_edge);
  const width = Number(size?.width ?? size?.shortest_edge);
  const mean = raw.image_mean;
  const std = raw.image_std;
  const isTriple = (v: unknown): v is [number, number, number] =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number");
  if (!(height > 0 && width > 0) || !isTriple(mean) || !isTriple(std)) {
    throw new ModelFolderError(
      "bad-json",
      "preprocessor_config.json",
      "size {height, width}, image_mean and image_std of 3 numbers",
    );
  }
  return {
    width,
    height,
    resample: typeof raw.resample === "number" ? raw.resample : 3,
    rescaleFactor: typeof raw.rescale_factor === "number" ? raw.rescale_factor : 1 / 255,
    doRescale: raw.do_rescale !== false,
    doNormalize: raw.do_normalize !== false,
    mean,
    std,
  };
}

// Florence-2's published generation settings, used when a folder does not say otherwise.
const FLORENCE2_DEFAULTS = { num_beams: 3, no_repeat_ngram_size: 3, max_new_tokens: 1024 };

function generationDefaults(
  config: Record<string, unknown>,
  generation: Record<string, unknown>,
  manifest: FvlManifest | null,
): GenerationDefaults {
  const text = (config.text_config ?? {}) as Record<string, unknown>;
  const pick = (key: string, fallback: number): number => {
    const value = generation[key] ?? config[key] ?? text[key];
    return typeof value === "number" ? value : fallback;
  };
  const forcedBos = generation.forced_bos_token_id ?? config.forced_bos_token_id ?? text.forced_bos_token_id;
  const forcedEos = generation.forced_eos_token_id ?? config.forced_eos_token_id ?? text.forced_eos_token_id;
  return {
    decoderStartId: pick("decoder_start_token_id", 2),
    bosId: pick("bos_token_id", 0),
    eosId: pick("eos_token_id", 2),
    padId: pick("pad_token_id", 1),
    forcedBosId: typeof forcedBos === "number" ? forcedBos : null,
    isEosForced: typeof forcedEos === "number",
    numBeams: manifest?.florence2.num_beams ?? pick("num_beams", FLORENCE2_DEFAULTS.num_beams),
    noRepeatNgramSize:
      manifest?.florence2.no_repeat_ngram_size ??
      pick("no_repeat_ngram_size", FLORENCE2_DEFAULTS.no_repeat_ngram_size),
    maxNewTokens: pick("max_new_tokens", FLORENCE2_DEFAULTS.max_new_tokens),
    isEarlyStopping: (generation.early_stopping ?? config.early_stopping ?? text.early_stopping) === true,
  };
}
