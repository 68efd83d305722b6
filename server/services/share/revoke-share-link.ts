import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";

/** Revokes a link for good (revoking again changes nothing); its token then opens the "revoked" page. */
export async function revokeShareLink(options: {
  db: Db;
  linkId: string;
  now?: Date;
}): Promise<{ revokedAt: Date }> {
  const link = await options.db.shareLink.findUnique({
    where: { id: options.linkId },
    select: { id: true, revokedAt: true },
  });
  if (link === null) throw new AppError("NOT_FOUND", "No such link.");
  if (link.revokedAt !== null) return { revokedAt: link.revokedAt };
  const revokedAt = options.now ?? new Date();
  await options.db.shareLink.update({ where: { id: link.id }, data: { revokedAt } });
  return { revokedAt };
}
