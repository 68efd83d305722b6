/**
 * 1. CONTEXT — what every browser-facing procedure can reach: the database and the inference server.
 * 2. INITIALIZATION — superjson for Dates and typed arrays; AppError → tRPC codes mapped here, and only here.
 * 3. PROCEDURES — one public procedure kind for now; the routers in ./routers stay thin.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { AppError, type AppErrorCode } from "~/server/app-error";
import { env } from "~/server/env";
import { EmbeddedJobQueue, type JobQueue } from "~/server/jobs/job-queue";
import { createInferenceClient, type InferenceClient } from "~/server/services/inference-client";
import { type Db, getDb } from "~/server/store/db";

// 1. CONTEXT
export interface ApiContext {
  db: Db;
  queue: JobQueue;
  dataDir: string;
  /** `client` answers quickly or not at all (health); `slowClient` waits for model work (live questions). */
  inference: { client: InferenceClient; slowClient: InferenceClient; url: string };
}

// A live question encodes the image once (cached afterwards) and decodes a short answer.
const LIVE_QUESTION_TIMEOUT_MS = 120_000;
const inferenceClient = createInferenceClient({
  url: env.INFERENCE_URL,
  timeoutMs: env.INFERENCE_HEALTH_TIMEOUT_MS,
});
const slowInferenceClient = createInferenceClient({
  url: env.INFERENCE_URL,
  timeoutMs: LIVE_QUESTION_TIMEOUT_MS,
});

export function createApiContext(): ApiContext {
  const db = getDb();
  return {
    db,
    queue: new EmbeddedJobQueue(db),
    dataDir: env.dataDir,
    inference: { client: inferenceClient, slowClient: slowInferenceClient, url: env.INFERENCE_URL },
  };
}

// 2. INITIALIZATION
const TRPC_CODE: Record<AppErrorCode, TRPCError["code"]> = {
  NOT_FOUND: "NOT_FOUND",
  BAD_INPUT: "BAD_REQUEST",
  CONFLICT: "CONFLICT",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
};

const t = initTRPC.context<ApiContext>().create({
  transformer: superjson,
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: {
      ...shape.data,
      zodError: error.cause instanceof ZodError ? error.cause.flatten() : null,
    },
  }),
});

/** Turns the typed errors services throw into tRPC errors with the right status; anything else stays a 500. */
const mapAppErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE[cause.code], message: cause.message, cause });
  }
  return result;
});

// 3. PROCEDURES
export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapAppErrors);
