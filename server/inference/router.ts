import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  FLORENCE_VL_BREADTH_TASKS,
  ImageInputError,
  isProviderInstalled,
  ORT_VERSION,
  UnsupportedRequestError,
} from "~/lib/engine";
import { AppError } from "~/server/app-error";
import { ModelNotReadyError } from "./engine-host";
import type { ModelPool } from "./model-pool";
import { publicProcedure, router } from "./trpc";

const imageInput = z.object({ name: z.string().min(1).max(1024), bytes: z.instanceof(Uint8Array) });

/** The known model a request is for (folder name or absolute path, server/services/models); unset: MODEL_DIR's. */
const modelInput = z.string().min(1).max(4096).optional();

const encodeInput = z.object({
  model: modelInput,
  images: z.array(imageInput).min(1).max(64),
  prompts: z
    .array(z.string().min(1).max(500))
    .max(16)
    .default([...FLORENCE_VL_BREADTH_TASKS]),
  includeStages: z.boolean().default(false),
  includeAttention: z.boolean().default(false),
  includeTaskAnswers: z.boolean().default(true),
  questions: z.array(z.string().min(1).max(500)).max(32).default([]),
  decoding: z
    .object({
      numBeams: z.number().int().min(1).max(8).optional(),
      noRepeatNgramSize: z.number().int().min(0).max(10).optional(),
      maxNewTokens: z.number().int().min(1).max(1024).optional(),
      useCache: z.boolean().optional(),
    })
    .default({}),
  /** Florence-VL's expand2square before resizing; unset: what the model folder's fvl.json says. */
  padToSquare: z.boolean().optional(),
});

/** Engine errors a caller can act on become typed tRPC errors; the rest stay internal errors. */
async function mapEngineErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ModelNotReadyError)
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: error.message, cause: error });
    if (error instanceof ImageInputError)
      throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
    if (error instanceof UnsupportedRequestError)
      throw new TRPCError({ code: "PRECONDITION_FAILED", message: error.message, cause: error });
    // An unknown model (server/services/models/known-models.ts).
    if (error instanceof AppError && error.code === "BAD_INPUT")
      throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
    throw error;
  }
}

export function createInferenceRouter(pool: ModelPool) {
  const host = pool.defaultHost;
  return router({
    /** What this process serves and whether it can: the dashboard polls it to show the server live. */
    health: publicProcedure.query(() => ({
      pid: process.pid,
      uptimeS: process.uptime(),
      /** The default model (MODEL_DIR) and its state as last loaded. */
      modelDir: host.modelDir,
      executionProvider: host.settings.executionProvider,
      isProviderInstalled: isProviderInstalled(host.settings.executionProvider),
      ortVersion: ORT_VERSION,
      model: host.loadState,
      /** Every model loaded now (least recently used first), their weights, and the recent loads and unloads. */
      ...pool.state,
      /** INFERENCE_MEMORY_MB in bytes; null: no limit. */
      memoryBudgetBytes: pool.budgetBytes,
      /** The whole process's resident memory: sessions, their widened weights, caches. */
      rssBytes: process.memoryUsage().rss,
    })),
    /** Loads a known model (if it is not) and says how that went: a run asks before it records the model. */
    load: publicProcedure
      .input(z.object({ model: modelInput }))
      .mutation(({ input }) => mapEngineErrors(() => pool.load(input.model))),
    /** Every known model folder described (the models page). */
    models: publicProcedure.query(() => mapEngineErrors(() => pool.describeAll())),
    /** Depth, breadth and fused features of a batch of images, with task answers and language-model answers. */
    encode: publicProcedure
      .input(encodeInput)
      .mutation(({ input }) =>
        mapEngineErrors(() => pool.use(input.model, (model) => model.encode(input.images, input))),
      ),
    /** A live question to the language model about one image. */
    answer: publicProcedure
      .input(z.object({ model: modelInput, image: imageInput, question: z.string().min(1).max(500) }))
      .mutation(({ input }) =>
        mapEngineErrors(() => pool.use(input.model, (model) => model.ask(input.image, input.question))),
      ),
    /** Last-layer hidden states of the language model for each text (captions, for the alignment analysis). */
    textFeatures: publicProcedure
      .input(z.object({ model: modelInput, texts: z.array(z.string().min(1).max(4000)).min(1).max(256) }))
      .mutation(({ input }) =>
        mapEngineErrors(() => pool.use(input.model, (model) => model.textFeatures(input.texts))),
      ),
  });
}

export type InferenceRouter = ReturnType<typeof createInferenceRouter>;
