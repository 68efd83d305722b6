import { base64OfTypedArray } from "~/lib/codec/base64";
import type { AttentionGrids } from "~/lib/tensor/attention-grids";
import { AppError } from "~/server/app-error";
import { putBounded } from "~/server/services/bounded-cache";
import type { InferenceClient } from "~/server/services/inference-client";
import { runSettingsSchema } from "~/server/services/runs/run-settings";
import { readStoredFile } from "~/server/store/content-store";
import type { Db } from "~/server/store/db";
import { callInference } from "./call-inference";
import { findRunImage } from "./find-run-image";

export type AttentionGridsView =
  | {
      available: true;
      layers: number;
      heads: number;
      /** Query tokens' text, in order. */
      queries: string[];
      grid: [number, number];
      /** base64 of Float32Array [layers, heads, queries, rows · cols]. */
      data: string;
    }
  | { available: false; reason: string };

export interface AttentionView {
  image: { width: number; height: number };
  tasks: {
    task: string;
    text: string;
    /** Generated tokens: the queries of `crossAttention`. */
    tokens: string[];
    /** Prompt token → patch (encoder self-attention). */
    promptAttention: AttentionGridsView;
    /** Answer token → patch (decoder cross-attention). */
    crossAttention: AttentionGridsView;
  }[];
  answers: { question: string; text: string; tokens: string[]; visualAttention: AttentionGridsView }[];
  /** Why there are no language-model answers, when the run asks questions but the model cannot answer them. */
  answersNote: string | null;
}

// Attention of a whole image costs an encoder pass per prompt plus decoding; a browsing session revisits a few
// images, and one entry is at most tens of MB for a full-size export.
const CACHE_SIZE = 16;
const cache = new Map<string, Promise<AttentionView>>();

interface AttentionMapsOptions {
  db: Db;
  dataDir: string;
  inference: InferenceClient;
  runId: string;
  imageId: string;
}

/**
 * Attention maps of one image of a run, computed live by the inference server (feature files keep no attention)
 * with the run's prompts and questions, and kept for the next request in a small in-memory LRU.
 */
export function getAttentionMaps(options: AttentionMapsOptions): Promise<AttentionView> {
  const key = `${options.runId}:${options.imageId}`;
  const cached = cache.get(key);
  if (cached !== undefined) {
    putBounded(cache, key, cached, CACHE_SIZE);
    return cached;
  }
  const pending = computeAttentionMaps(options);
  putBounded(cache, key, pending, CACHE_SIZE);
  // A failure is not remembered: the next request tries again (the server may be back).
  pending.catch(() => cache.get(key) === pending && cache.delete(key));
  return pending;
}

async function computeAttentionMaps(options: AttentionMapsOptions): Promise<AttentionView> {
  const { run, image } = await findRunImage(options.db, options.runId, { imageId: options.imageId });
  if (image.problem !== null) throw new AppError("BAD_INPUT", `This file is not an image: ${image.problem}`);
  const settings = runSettingsSchema.parse(run);
  const bytes = new Uint8Array(await readStoredFile(options.dataDir, image.storagePath));
  const [result] = await callInference("Attention maps need the model", () =>
    options.inference.encode.mutate({
      model: run.modelDir,
      images: [{ name: image.sha256, bytes }],
      prompts: settings.prompts,
      includeAttention: true,
      includeTaskAnswers: true,
      questions: settings.questions,
    }),
  );
  if (result === undefined) throw new Error("the inference server returned no result");
  if (!result.ok) throw new AppError("BAD_INPUT", result.message);
  return {
    image: result.original,
    tasks: result.tasks.map((task) => ({
      task: task.task,
      text: task.text,
      tokens: task.tokens,
      promptAttention: gridsView(task.promptAttention, "encoder self-attention"),
      crossAttention: gridsView(task.crossAttention, "decoder cross-attention"),
    })),
    answers: result.answers.map((answer) => ({
      question: answer.question,
      text: answer.text,
      tokens: answer.tokens,
      visualAttention: gridsView(answer.visualAttention, "language-model attention"),
    })),
    answersNote:
      settings.questions.length > 0 && result.answers.length === 0
        ? "The served model has no language model (a stock Florence-2 export), so the run's questions have no answers."
        : null,
  };
}

function gridsView(grids: AttentionGrids | null, kind: string): AttentionGridsView {
  if (grids === null) {
    return {
      available: false,
      reason: `This model export has no ${kind} outputs; export it with attention outputs to see these maps.`,
    };
  }
  return {
    available: true,
    layers: grids.layers,
    heads: grids.heads,
    queries: grids.queries,
    grid: grids.grid,
    data: base64OfTypedArray(grids.data),
  };
}
