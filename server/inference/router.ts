import { TRPCError } from "@trpc/server";
import { z } from "zod";
import {
  FLORENCE_VL_BREADTH_TASKS,
  ImageInputError,
  isProviderInstalled,
  ORT_VERSION,
  UnsupportedRequestError,
} from "~/lib/engine";
import { type EngineHost, ModelNotReadyError } from "./engine-host";
import { publicProcedure, router } from "./trpc";

const imageInput = z.object({ name: z.string().min(1).max(1024), bytes: z.instanceof(Uint8Array) });

const encodeInput = z.object({
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
    throw error;
  }
}

export function createInferenceRouter(host: EngineHost) {
  return router({
    /** What this process serves and whether it can: the dashboard polls it to show the server live. */
    health: publicProcedure.query(() => ({
      pid: process.pid,
      uptimeS: process.uptime(),
      modelDir: host.modelDir,
      executionProvider: host.settings.executionProvider,
      isProviderInstalled: isProviderInstalled(host.settings.executionProvider),
      ortVersion: ORT_VERSION,
      model: host.loadState,
      /** The whole process's resident memory: sessions, their widened weights, caches. */
      rssBytes: process.memoryUsage().rss,
    })),
    /** Depth, breadth and fused features of a batch of images, with task answers and language-model answers. */
    encode: publicProcedure
      .input(encodeInput)
      .mutation(({ input }) => mapEngineErrors(() => host.encode(input.images, input))),
    /** A live question to the language model about one image. */
    answer: publicProcedure
      .input(z.object({ image: imageInput, question: z.string().min(1).max(500) }))
      .mutation(({ input }) => mapEngineErrors(() => host.ask(input.image, input.question))),
    /** Last-layer hidden states of the language model for each text (captions, for the alignment analysis). */
    textFeatures: publicProcedure
      .input(z.object({ texts: z.array(z.string().min(1).max(4000)).min(1).max(256) }))
      .mutation(({ input }) => mapEngineErrors(() => host.textFeatures(input.texts))),
  });
}

export type InferenceRouter = ReturnType<typeof createInferenceRouter>;
