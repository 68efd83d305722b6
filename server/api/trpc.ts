/**
 * 1. CONTEXT — what every browser-facing procedure can reach, built once by the composition root.
 * 2. INITIALIZATION — superjson for Dates and typed arrays; AppError → tRPC codes mapped here, and only here.
 * 3. PROCEDURES — one public procedure kind for now; the routers in ./routers stay thin.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { AppError, type AppErrorCode } from "~/server/app-error";
import { type AppDeps, getAppDeps } from "~/server/composition-root";

// 1. CONTEXT
/** What procedures reach, taken from the composition root (tests hand in their own). */
export interface ApiContext extends Pick<AppDeps, "db" | "queue" | "dataDir" | "features" | "limits"> {
  /** `client` answers quickly or not at all (health); `slowClient` waits for model work (live questions). */
  inference: Pick<AppDeps["inference"], "client" | "slowClient" | "url">;
}

export function createApiContext(): ApiContext {
  return getAppDeps();
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
