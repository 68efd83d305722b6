import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { AppError } from "~/server/app-error";

/** Largest view state a link may carry (UTF-8 JSON): URL state, not data. */
export const MAX_SHARE_STATE_BYTES = 64 * 1024;
// 32 random bytes: 256 bits, far past guessing; base64url without padding is 43 characters.
const TOKEN_BYTES = 32;
export const SHARE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function createShareToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

/**
 * What the database keeps of a token: its sha256 (hex). A copy of the database (a backup, a leaked file) then
 * opens no link; 256 random bits need no salt or slow hash to stay out of reach.
 */
export function hashShareToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

// The one kind of view that shows a run today, and so the run a link to it may read.
const RUN_VIEW = /^\/runs\/([^/?#]+)\/explore$/;

/** The run a view path shows (`/runs/<id>/explore`), or null for views that show no run. */
export function runIdOfView(view: string): string | null {
  const encoded = RUN_VIEW.exec(view)?.[1];
  if (encoded === undefined) return null;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

/** Why a link does not open; the page may say which, and nothing about the view. */
export type ShareLinkUnavailableReason = "unknown" | "revoked" | "expired";

/** One message for every unavailable link, so an error reveals nothing beyond the reason code. */
export const SHARE_LINK_UNAVAILABLE_MESSAGE = "This link is not available.";

export class ShareLinkUnavailableError extends AppError {
  override name = "ShareLinkUnavailableError";
  constructor(readonly reason: ShareLinkUnavailableReason) {
    super("NOT_FOUND", SHARE_LINK_UNAVAILABLE_MESSAGE);
  }
}

/** What the `state` column holds: the view's URL state and the projections it shows, pinned by id. */
export const storedShareStateSchema = z.object({
  url: z.record(z.string(), z.unknown()),
  pinnedProjectionIds: z.array(z.string()),
});
export type StoredShareState = z.infer<typeof storedShareStateSchema>;

export type ShareLinkStatus = "active" | ShareLinkUnavailableReason;

export function statusOf(
  link: { revokedAt: Date | null; expiresAt: Date | null },
  now: Date,
): ShareLinkStatus {
  if (link.revokedAt !== null) return "revoked";
  if (link.expiresAt !== null && link.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}
