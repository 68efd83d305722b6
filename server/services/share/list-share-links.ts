import type { Db } from "~/server/store/db";
import { type ShareLinkStatus, statusOf, storedShareStateSchema } from "./share-link";

export interface ShareLinkSummary {
  token: string;
  path: string;
  view: string;
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
  });
  return links.map((link) => ({
    token: link.token,
    path: `/s/${link.token}`,
    view: link.view,
    status: statusOf(link, now),
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    revokedAt: link.revokedAt,
    pinnedProjectionIds: storedShareStateSchema.safeParse(link.state).data?.pinnedProjectionIds ?? [],
  }));
}
