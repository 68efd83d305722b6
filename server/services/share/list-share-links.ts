import type { Db } from "~/server/store/db";
import { type ShareLinkStatus, statusOf, storedShareStateSchema } from "./share-link";

/** A link as its owners see it: the token itself is not kept, so a lost link is revoked and made again. */
export interface ShareLinkSummary {
  id: string;
  view: string;
  /** Email of whoever made it (null with access control off). */
  createdBy: string | null;
  status: ShareLinkStatus;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  pinnedProjectionIds: string[];
}

// The owner's list shows the most recent links; older ones are still resolvable.
const LIST_LIMIT = 500;

/** The links made on this dashboard, newest first, optionally of one view. */
export async function listShareLinks(options: {
  db: Db;
  view?: string;
  now?: Date;
}): Promise<ShareLinkSummary[]> {
  const now = options.now ?? new Date();
  const links = await options.db.shareLink.findMany({
    where: options.view === undefined ? {} : { view: options.view },
    orderBy: { createdAt: "desc" },
    take: LIST_LIMIT,
    include: { createdBy: { select: { email: true } } },
  });
  return links.map((link) => ({
    id: link.id,
    view: link.view,
    createdBy: link.createdBy?.email ?? null,
    status: statusOf(link, now),
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    revokedAt: link.revokedAt,
    pinnedProjectionIds: storedShareStateSchema.safeParse(link.state).data?.pinnedProjectionIds ?? [],
  }));
}
