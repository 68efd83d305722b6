import type { Db } from "~/server/store/db";
import {
  hashShareToken,
  SHARE_LINK_UNAVAILABLE_MESSAGE,
  SHARE_TOKEN_PATTERN,
  ShareLinkUnavailableError,
  type ShareLinkUnavailableReason,
  statusOf,
  storedShareStateSchema,
} from "./share-link";

export interface ResolvedShareLink {
  view: string;
  /** The view's URL state as it was shared. */
  state: Record<string, unknown>;
  /** Projections the view shows, by id (read them with analysis.projections). */
  pinnedProjectionIds: string[];
  expiresAt: Date | null;
}

/**
 * The view state behind a token. Unknown, revoked and expired tokens all throw the same NOT_FOUND error
 * (ShareLinkUnavailableError, message "This link is not available.") whose `reason` tells which.
 */
export async function resolveShareLink(options: {
  db: Db;
  token: string;
  now?: Date;
}): Promise<ResolvedShareLink> {
  if (!SHARE_TOKEN_PATTERN.test(options.token)) throw new ShareLinkUnavailableError("unknown");
  const link = await options.db.shareLink.findUnique({
    where: { tokenHash: hashShareToken(options.token) },
  });
  if (link === null) throw new ShareLinkUnavailableError("unknown");
  const status = statusOf(link, options.now ?? new Date());
  if (status !== "active") throw new ShareLinkUnavailableError(status);
  const stored = storedShareStateSchema.safeParse(link.state);
  if (!stored.success) throw new ShareLinkUnavailableError("unknown");
  return {
    view: link.view,
    state: stored.data.url,
    pinnedProjectionIds: stored.data.pinnedProjectionIds,
    expiresAt: link.expiresAt,
  };
}

export type OpenedShareLink =
  | ({ isAvailable: true } & ResolvedShareLink)
  | { isAvailable: false; reason: ShareLinkUnavailableReason; message: string };

/** `resolveShareLink` as a value for the share page: an unavailable link is a normal outcome there, not an error. */
export async function openShareLink(options: {
  db: Db;
  token: string;
  now?: Date;
}): Promise<OpenedShareLink> {
  try {
    return { isAvailable: true, ...(await resolveShareLink(options)) };
  } catch (error) {
    if (!(error instanceof ShareLinkUnavailableError)) throw error;
    return { isAvailable: false, reason: error.reason, message: SHARE_LINK_UNAVAILABLE_MESSAGE };
  }
}
