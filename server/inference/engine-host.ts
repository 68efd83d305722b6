// lib/engine (ONNX Runtime, sharp) enters the server here: never in a browser bundle (package.json "imports").
import "#server-only";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import {
  answerEncodedImages,
  answerQuestion,
  type DecodingOptions,
  describeModel,
  type EncodedImage,
  encodeImages,
  ImageInputError,
  type LanguageAnswer,
  type LoadedModel,
  type LoadedModelFolder,
  loadModelFolder,
  type ModelDtype,
  type ModelInfo,
  preprocessImage,
  type SessionSettings,
  type TaskAnswer,
  textFeatures,
  UnsupportedRequestError,
} from "~/lib/engine";
import type { Tensor } from "~/lib/tensor";

/** What health says about the served model and a run records of it: describeModel's headline. */
export type ServedModel = Pick<
  ModelInfo,
  "name" | "sourceFormat" | "dtype" | "dtypes" | "breadthMode" | "padToSquare"
>;

export type ModelLoadState =
  | { state: "missing"; detail: string }
  | { state: "loading" }
  | {
      state: "ready";
      kind: LoadedModelFolder["kind"];
      fingerprint: string;
      graphCount: number;
      info: ServedModel;
      /** The feature sources a run of this model can keep (describeModel's). */
      sources: string[];
      memory: ModelMemory;
    }
  | { state: "failed"; detail: string };

/** The weights the served model's sessions hold (health adds the process's resident memory). */
export interface ModelMemory {
  /** Each opened graph with its external data, in bytes on disk (ONNX Runtime maps or reads them whole). */
  graphs: { file: string; bytes: number }[];
  weightBytes: number;
  /** The language model's weight variant (fvl.json llm.variants: fp32, fp16, int8, int4); null without one. */
  languageModelVariant: string | null;
}

export interface ImageInput {
  name: string;
  bytes: Uint8Array;
}

export interface EncodeOptions {
  prompts: string[];
  includeStages: boolean;
  includeAttention: boolean;
  /** Generate each prompt's Florence-2 answer. */
  includeTaskAnswers: boolean;
  /** Questions for the language model (Florence-VL folders only). */
  questions: string[];
  decoding: DecodingOptions;
  /** Pad to a square before resizing (Florence-VL's expand2square); the model folder's fvl.json default when unset. */
  padToSquare?: boolean;
}

export type ImageResult =
  | {
      ok: true;
      name: string;
      original: { width: number; height: number };
      /** The image's feature sources (token grids) and V's grid geometry. */
      features: Pick<EncodedImage, "sources" | "grid" | "imageTokenCount">;
      tasks: TaskAnswer[];
      answers: LanguageAnswer[];
      timingsMs: Record<string, number>;
    }
  | { ok: false; name: string; problem: string; message: string };

// Live questions about the same image reuse its fused features; a few dozen images cover a browsing session.
const FUSED_CACHE_SIZE = 32;

/**
 * One model folder this process serves: loaded, its ONNX Runtime sessions cached until `release`. The model pool
 * (model-pool.ts) queues every request, so one process never runs two inferences at once (ORT already uses every
 * core for one) and never releases a model under a request.
 */
export class EngineHost {
  private status: ModelLoadState = { state: "loading" };
  private model: LoadedModelFolder | null = null;
  private readonly fusedCache = new Map<
    string,
    { fused: Tensor<Float32Array>; grid: [number, number]; hasPooledToken: boolean }
  >();

  constructor(
    readonly modelDir: string,
    readonly settings: SessionSettings,
    readonly maxInputPixels: number,
    /** The weight variant to serve (the folder's `_fp16` files); the folder's default when unset. */
    readonly dtype?: ModelDtype,
    /** The language model's weight variant; the engine's choice for `dtype` and the provider when unset. */
    readonly languageModelVariant?: string,
  ) {}

  get loadState(): ModelLoadState {
    return this.status;
  }

  async load(): Promise<ModelLoadState> {
    this.status = { state: "loading" };
    await this.model?.release();
    this.model = null;
    if (!(await fs.stat(this.modelDir).catch(() => null))) {
      this.status = { state: "missing", detail: `No model folder at ${this.modelDir}.` };
      return this.status;
    }
    try {
      const model = await loadModelFolder(this.modelDir, {
        session: this.settings,
        ...(this.dtype === undefined ? {} : { dtype: this.dtype }),
        ...(this.languageModelVariant === undefined
          ? {}
          : { languageModelVariant: this.languageModelVariant }),
      });
      this.model = model;
      const { name, sourceFormat, dtype, dtypes, breadthMode, padToSquare, sources } = describeModel(model);
      const memory = await modelMemory(model);
      this.status = {
        state: "ready",
        kind: model.kind,
        fingerprint: model.fingerprint,
        graphCount: model.kind === "encoder" ? 1 : 4 + (model.languageModel === null ? 0 : 3),
        info: { name, sourceFormat, dtype, dtypes, breadthMode, padToSquare },
        sources: sources.map((source) => source.name),
        memory,
      };
    } catch (error) {
      this.status = { state: "failed", detail: error instanceof Error ? error.message : String(error) };
    }
    return this.status;
  }

  /** Closes the model's ONNX Runtime sessions and drops its cached features; `load` opens it again. */
  async release(): Promise<void> {
    await this.model?.release();
    this.model = null;
    this.fusedCache.clear();
  }

  /** The loaded model's description (model-info.ts), or null while it is not loaded. */
  describe(): ReturnType<typeof describeModel> | null {
    return this.model === null ? null : describeModel(this.model);
  }

  /** Encodes a batch: bad images come back as failed results with their reason; the others are encoded together. */
  encode(images: readonly ImageInput[], options: EncodeOptions): Promise<ImageResult[]> {
    return this.withModel(async (model) => {
      const started = performance.now();
      const prepared = await Promise.all(
        images.map(async (image) => {
          try {
            return {
              image,
              pre: await preprocessImage(image.bytes, model.preprocess, {
                maxInputPixels: this.maxInputPixels,
                padToSquare: options.padToSquare ?? describeModel(model).padToSquare,
              }),
            };
          } catch (error) {
            if (error instanceof ImageInputError) return { image, error };
            throw error;
          }
        }),
      );
      const good = prepared.flatMap((p) => ("pre" in p && p.pre ? [{ image: p.image, pre: p.pre }] : []));
      const preprocessMs = performance.now() - started;
      const encodeStarted = performance.now();
      const encoded =
        good.length === 0
          ? []
          : await encodeImages(
              model,
              good.map((g) => g.pre.pixelValues),
              {
                prompts: options.prompts,
                includeStages: options.includeStages,
                includeFused: true,
                includeAttention: options.includeAttention,
              },
            );
      const encodeMs = (performance.now() - encodeStarted) / Math.max(1, good.length);
      // Answers decode as one batch across the images (one decoder call per step for each prompt length).
      const answersStarted = performance.now();
      const answered =
        model.kind === "encoder" || good.length === 0
          ? []
          : await answerEncodedImages(
              model,
              good.flatMap(({ pre }, i) => {
                const item = encoded[i];
                return item === undefined ? [] : [{ encoded: item, ...pre.original }];
              }),
              options,
            );
      const answersMs = (performance.now() - answersStarted) / Math.max(1, good.length);
      const results = new Map<string, ImageResult>();
      for (const [i, { image, pre }] of good.entries()) {
        const item = encoded[i];
        if (item === undefined) continue;
        const { tasks = [], answers = [] } = answered[i] ?? {};
        results.set(image.name, {
          ok: true,
          name: image.name,
          original: pre.original,
          features: { sources: item.sources, grid: item.grid, imageTokenCount: item.imageTokenCount },
          tasks,
          answers,
          timingsMs: {
            preprocess: preprocessMs / images.length,
            encode: encodeMs,
            answers: answersMs,
          },
        });
      }
      return images.map((image) => {
        const failed = prepared.find((p) => p.image === image && "error" in p);
        if (failed && "error" in failed && failed.error) {
          return {
            ok: false,
            name: image.name,
            problem: failed.error.problem,
            message: failed.error.message,
          };
        }
        return results.get(image.name) as ImageResult;
      });
    });
  }

  /** A live question about one image; its fused features are cached by content hash. */
  ask(image: ImageInput, question: string): Promise<LanguageAnswer> {
    return this.withFlorence("live questions", async (model) => {
      const key = createHash("sha256").update(image.bytes).digest("hex");
      let cached = this.fusedCache.get(key);
      if (cached === undefined) {
        const pre = await preprocessImage(image.bytes, model.preprocess, {
          maxInputPixels: this.maxInputPixels,
          padToSquare: describeModel(model).padToSquare,
        });
        const [item] = await encodeImages(model, [pre.pixelValues], {
          prompts: [],
          includeStages: false,
          includeFused: true,
          includeAttention: false,
        });
        const fused = item?.sources.fused;
        if (fused === undefined) throw new Error("fusion produced no features");
        cached = { fused: fused.tensor, grid: fused.grid, hasPooledToken: fused.hasPooledToken };
        this.fusedCache.set(key, cached);
        if (this.fusedCache.size > FUSED_CACHE_SIZE)
          this.fusedCache.delete(this.fusedCache.keys().next().value ?? "");
      }
      return answerQuestion(model, cached.fused, question, {
        grid: cached.grid,
        hasPooledToken: cached.hasPooledToken,
      });
    });
  }

  /** The language model's last hidden states of each text (the paper's f_t). */
  textFeatures(texts: readonly string[]): Promise<Tensor<Float32Array>[]> {
    return this.withFlorence("text features", (model) =>
      sequential(texts, (text) => textFeatures(model, text)),
    );
  }

  private async withModel<T>(work: (model: LoadedModelFolder) => Promise<T>): Promise<T> {
    if (this.model === null) throw new ModelNotReadyError(this.status);
    return work(this.model);
  }

  /** Work only a Florence-2 / Florence-VL folder can do: a comparison encoder has no text side. */
  private withFlorence<T>(what: string, work: (model: LoadedModel) => Promise<T>): Promise<T> {
    return this.withModel((model) => {
      if (model.kind === "encoder")
        throw new UnsupportedRequestError(
          `${path.basename(model.dir)} is a comparison encoder (${model.source}): it has no language model for ${what}.`,
        );
      return work(model);
    });
  }
}

export class ModelNotReadyError extends Error {
  override name = "ModelNotReadyError";
  constructor(state: ModelLoadState) {
    super(`The model is not ready (${state.state}${"detail" in state ? `: ${state.detail}` : ""}).`);
  }
}

async function modelMemory(model: LoadedModelFolder): Promise<ModelMemory> {
  const languageModel = model.kind === "encoder" ? null : model.languageModel;
  const opened =
    model.kind === "encoder"
      ? [model.vision]
      : [model.vision, model.embedTokens, model.encoder, model.decoder, model.projector];
  if (languageModel !== null) opened.push(languageModel.embedTokens, languageModel.decoder);
  const graphs = await Promise.all(
    opened
      .flatMap((graph) => (graph === null ? [] : [graph.file]))
      .map(async (file) => {
        const sizes = await Promise.all(
          // External data sits beside its graph as <graph>.onnx_data (ours and onnx-community's exports).
          [file, `${file}_data`].map((name) =>
            fs.stat(path.join(model.dir, name)).then(
              (stat) => stat.size,
              () => 0,
            ),
          ),
        );
        return { file, bytes: sizes.reduce((sum, size) => sum + size, 0) };
      }),
  );
  return {
    graphs,
    weightBytes: graphs.reduce((sum, graph) => sum + graph.bytes, 0),
    languageModelVariant: languageModel?.variant ?? null,
  };
}

async function sequential<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await work(item));
  return out;
}
