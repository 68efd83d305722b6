import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";
import {
  createShareToken,
  hashShareToken,
  MAX_SHARE_STATE_BYTES,
  runIdOfView,
  type StoredShareState,
} from "./share-link";

export interface CreatedShareLink {
  id: string;
  /** Shown once, here: the database keeps only its hash. */
  token: string;
  /** The link's path on this server: `/s/<token>` (app/s/[token]). */
  path: string;
  view: string;
  createdAt: Date;
  expiresAt: Date | null;
  pinnedProjectionIds: string[];
}

// A view is an app route ("/runs/abc/explore"): no scheme, host, query or fragment, so a link cannot point
// anywhere else (the state carries the query).
const VIEW_PATTERN = /^\/(?!\/)[A-Za-z0-9\-._~%/:@]*$/;
const MAX_VIEW_CHARS = 512;

/**
 * Creates a read-only link to one view state. The projections the state refers to (`projectionId` and
 * `projectionIds` anywhere in it, and `projectionIds` given here) are pinned by id, so the shared view shows the
 * very coordinates it was shared with even when the run's layouts are recomputed later. A link to a run's view may
 * read that run only (server/services/share/share-access.ts), so its projections must be of that run.
 */
export async function createShareLink(options: {
  db: Db;
  view: string;
  state: Record<string, unknown>;
  expiresAt?: Date;
  projectionIds?: readonly string[];
  /** The signed-in user making the link (none with access control off). */
  createdById?: string;
  now?: Date;
}): Promise<CreatedShareLink> {
  const { db } = options;
  const now = options.now ?? new Date();
  if (options.view.length > MAX_VIEW_CHARS || !VIEW_PATTERN.test(options.view))
    throw new AppError("BAD_INPUT", `"${options.view.slice(0, 80)}" is not a dashboard view path.`);
  const bytes = Buffer.byteLength(JSON.stringify(options.state), "utf8");
  if (bytes > MAX_SHARE_STATE_BYTES) {
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      `The view state is ${(bytes / 1024).toFixed(1)} KB; a link holds at most ${MAX_SHARE_STATE_BYTES / 1024} KB. ` +
        "Share a smaller selection.",
    );
  }
  if (options.expiresAt !== undefined && options.expiresAt.getTime() <= now.getTime())
    throw new AppError("BAD_INPUT", "The expiry must be in the future.");
  const runId = runIdOfView(options.view);
  if (runId !== null && (await db.run.findUnique({ where: { id: runId }, select: { id: true } })) === null)
    throw new AppError("BAD_INPUT", `The view shows a run that does not exist: ${runId}.`);
  const pinned = [...new Set([...(options.projectionIds ?? []), ...projectionIdsIn(options.state)])];
  const found = await db.projection.findMany({
    where: { id: { in: pinned } },
    select: { id: true, runId: true },
  });
  const missing = pinned.filter((id) => !found.some((row) => row.id === id));
  if (missing.length > 0)
    throw new AppError(
      "BAD_INPUT",
      `The view refers to projections that do not exist: ${missing.join(", ")}.`,
    );
  const foreign = found.filter((row) => row.runId !== runId).map((row) => row.id);
  if (foreign.length > 0)
    throw new AppError(
      "BAD_INPUT",
      `The view refers to projections of another run than the one it shows: ${foreign.join(", ")}.`,
    );
  const state: StoredShareState = { url: options.state, pinnedProjectionIds: pinned };
  const token = createShareToken();
  const link = await db.shareLink.create({
    data: {
      tokenHash: hashShareToken(token),
      view: options.view,
      runId,
      state: state as object,
      createdById: options.createdById ?? null,
      createdAt: now,
      expiresAt: options.expiresAt ?? null,
    },
  });
  return {
    id: link.id,
    token,
    path: `/s/${token}`,
    view: link.view,
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    pinnedProjectionIds: pinned,
  };
}

/** Values of `projectionId` (string) and `projectionIds` (string[]) keys anywhere in a JSON value. */
function projectionIdsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(projectionIdsIn);
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    if (key === "projectionId" && typeof inner === "string") return [inner];
    if (key === "projectionIds" && Array.isArray(inner))
      return inner.filter((id): id is string => typeof id === "string");
    return projectionIdsIn(inner);
  });
}
