/**
 * 1. CONTEXT — what every browser-facing procedure can reach, built once by the composition root, and who asks.
 * 2. INITIALIZATION — superjson for Dates and typed arrays; AppError → tRPC codes mapped here, and only here.
 * 3. PROCEDURES — one builder per role (docs/architecture.md, Access): every procedure names the least role it
 *    needs by the builder it is made with, and the check runs here, on the server. The routers stay thin.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError, type z } from "zod";
import { AppError, type AppErrorCode } from "~/server/app-error";
import {
  type Access,
  actorOf,
  isOpenShare,
  refusalOf,
  resolveAccess,
  SHARE_REFUSAL,
} from "~/server/auth/access";
import type { Role } from "~/server/auth/roles";
import { type AppDeps, getAppDeps } from "~/server/composition-root";
import { auditDetailOf, recordAudit } from "~/server/services/audit/record-audit";
import { isShareClaimCovered, type ShareClaim } from "~/server/services/share/share-access";

// 1. CONTEXT
/** What procedures reach, taken from the composition root (tests hand in their own). */
export interface ApiContext
  extends Pick<AppDeps, "db" | "queue" | "dataDir" | "features" | "limits" | "auth"> {
  /** `client` answers quickly or not at all (health); `slowClient` waits for model work (live questions). */
  inference: Pick<AppDeps["inference"], "client" | "slowClient" | "url">;
  /** Who is asking (server/auth/access.ts), from the request's cookies. */
  access: Access;
}

/**
 * The context of one request: the process's dependencies and the access its headers prove. Server components
 * pass `await headers()` (next/headers); the HTTP handler passes the request's.
 */
export async function createApiContext(options: { headers: Headers }): Promise<ApiContext> {
  const deps = getAppDeps();
  return { ...deps, access: await resolveAccess({ deps: deps.auth, db: deps.db, headers: options.headers }) };
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

/** 401 without an account, 403 with one whose role is below `role`. */
function refuseUnless(access: Access, role: Role): void {
  const refusal = refusalOf(access, role);
  if (refusal !== null)
    throw new TRPCError({
      code: refusal.status === 401 ? "UNAUTHORIZED" : "FORBIDDEN",
      message: refusal.message,
    });
}

const requireRole = (role: Role) =>
  t.middleware(({ ctx, next }) => {
    refuseUnless(ctx.access, role);
    return next();
  });

/** Every mutation that succeeds is logged: who, which procedure, and the ids it named and answered. */
const auditMutations = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  const result = await next();
  if (type === "mutation" && result.ok)
    await recordAudit({
      db: ctx.db,
      actor: actorOf(ctx.access),
      action: path,
      detail: { ...auditDetailOf(await getRawInput()), ...auditDetailOf(result.data) },
    });
  return result;
});

// 3. PROCEDURES
export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
/** Anyone, signed in or not: only sign-in state, health and a share link's own resolution. */
export const publicProcedure = t.procedure.use(mapAppErrors);
/** Reads of the lab's data (viewer, member, administrator). */
export const viewerProcedure = publicProcedure.use(requireRole("viewer"));
/** Creating, starting, cancelling and deleting datasets, runs, analyses and share links (member, administrator). */
export const memberProcedure = publicProcedure.use(requireRole("member")).use(auditMutations);
/** Accounts and the audit log (administrator). */
export const adminProcedure = publicProcedure.use(requireRole("admin")).use(auditMutations);

/**
 * Reads a share link may also make: a viewer (or better) reads anything, a visitor holding open links only what
 * `claimOf` names from the input and one of its links covers (its run, its pinned projections, its run's images;
 * server/services/share/share-access.ts). The input schema comes with the claim, so no share read can skip it.
 */
export function shareOrViewerProcedure<Schema extends z.ZodType>(
  input: Schema,
  claimOf: (input: z.output<Schema>) => ShareClaim,
) {
  return publicProcedure
    .use(({ ctx, next }) => {
      // Before the input is read: without an account or an open link (all revoked or expired), 401.
      if (!isOpenShare(ctx.access)) refuseUnless(ctx.access, "viewer");
      return next();
    })
    .input(input)
    .use(async ({ ctx, input: parsed, next }) => {
      if (isOpenShare(ctx.access)) {
        const claim = claimOf(parsed as z.output<Schema>);
        if (!(await isShareClaimCovered({ db: ctx.db, grants: ctx.access.grants, claim })))
          throw new TRPCError({ code: "FORBIDDEN", message: SHARE_REFUSAL });
      }
      return next();
    });
}
