import type { Db } from "~/server/store/db";
import { hashShareToken, SHARE_TOKEN_PATTERN } from "./share-link";

/**
 * Links made before tokens were hashed come out of their migration with the clear token in `tokenHash` (SQLite
 * has no sha256 function); this replaces each by its hash, so the links keep opening and no token stays in the
 * database. Run after migrations, before the web server starts (launcher, CLI). Returns how many it hashed.
 */
export async function hashClearShareTokens(options: { db: Db }): Promise<number> {
  const links = await options.db.shareLink.findMany({ select: { id: true, tokenHash: true } });
  // A hash is 64 hex characters; a clear token is 43 base64url ones.
  const clear = links.filter((link) => SHARE_TOKEN_PATTERN.test(link.tokenHash));
  for (const link of clear)
    await options.db.shareLink.update({
      where: { id: link.id },
      data: { tokenHash: hashShareToken(link.tokenHash) },
    });
  // The old values (and the table the migration replaced) stay in the database file's free pages until it is
  // rewritten: vacuum once, so no copy of a token is left on disk.
  if (clear.length > 0) await options.db.$executeRawUnsafe("VACUUM");
  return clear.length;
}
