import type { Db } from "~/server/store/db";
import { hashShareToken, SHARE_TOKEN_PATTERN, statusOf, storedShareStateSchema } from "./share-link";

/** What one open link lets its holder read: its run, and of that run's projections the pinned ones. */
export interface ShareGrant {
  linkId: string;
  runId: string;
  pinnedProjectionIds: readonly string[];
}

/**
 * What a read asks for, as the procedure or route handler names it from its input. Every field given must be
 * inside one grant; a claim naming nothing is refused (a read that cannot say what it reads is not a share read).
 */
export interface ShareClaim {
  runId?: string;
  projectionIds?: readonly string[];
  imageIds?: readonly string[];
  imageSha256?: string;
}

// A visitor's browser keeps the last few links it opened (app/s/[token]); more than this are not looked up.
const MAX_TOKENS = 8;

/**
 * The grants of the links behind these tokens that open now: unknown, revoked and expired ones grant nothing, and
 * neither do links to views that show no run. Looked up on every request, so revocation and expiry apply at once.
 */
export async function resolveShareGrants(options: {
  db: Db;
  tokens: readonly string[];
  now?: Date;
}): Promise<ShareGrant[]> {
  const tokens = options.tokens.filter((token) => SHARE_TOKEN_PATTERN.test(token)).slice(0, MAX_TOKENS);
  if (tokens.length === 0) return [];
  const now = options.now ?? new Date();
  const links = await options.db.shareLink.findMany({
    where: { tokenHash: { in: tokens.map(hashShareToken) } },
    select: { id: true, runId: true, state: true, revokedAt: true, expiresAt: true },
  });
  return links.flatMap((link) => {
    const state = storedShareStateSchema.safeParse(link.state);
    if (link.runId === null || statusOf(link, now) !== "active" || !state.success) return [];
    return [{ linkId: link.id, runId: link.runId, pinnedProjectionIds: state.data.pinnedProjectionIds }];
  });
}

/** Whether one of the grants covers everything the claim names. */
export async function isShareClaimCovered(options: {
  db: Db;
  grants: readonly ShareGrant[];
  claim: ShareClaim;
}): Promise<boolean> {
  const { db, claim } = options;
  const named = [claim.runId, claim.projectionIds, claim.imageIds, claim.imageSha256].filter(
    (field) => field !== undefined,
  );
  if (named.length === 0) return false;
  for (const grant of options.grants) {
    if (claim.runId !== undefined && claim.runId !== grant.runId) continue;
    if (claim.projectionIds?.some((id) => !grant.pinnedProjectionIds.includes(id))) continue;
    if (claim.imageIds !== undefined) {
      const wanted = [...new Set(claim.imageIds)];
      const inRun = await db.runImage.count({ where: { runId: grant.runId, imageId: { in: wanted } } });
      if (inRun !== wanted.length) continue;
    }
    if (claim.imageSha256 !== undefined) {
      const inRun = await db.runImage.count({
        where: { runId: grant.runId, image: { sha256: claim.imageSha256 } },
      });
      if (inRun === 0) continue;
    }
    return true;
  }
  return false;
}
