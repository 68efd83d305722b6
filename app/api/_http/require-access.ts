import { type Access, isOpenShare, refusalOf, resolveAccess, SHARE_REFUSAL } from "~/server/auth/access";
import type { Role } from "~/server/auth/roles";
import { isSameOriginRequest } from "~/server/auth/same-origin";
import { getAppDeps } from "~/server/composition-root";
import { isShareClaimCovered, type ShareClaim } from "~/server/services/share/share-access";
import { jsonError } from "./error-response";

/** 403 for a state-changing request another site's page made (CSRF), else null. */
export function refuseCrossSite(request: Request): Response | null {
  if (request.method === "GET" || request.method === "HEAD" || isSameOriginRequest(request)) return null;
  return jsonError(403, "This request came from another site; open the dashboard itself to do this.");
}

/**
 * The role check of a plain route handler, the same as the tRPC builders' (server/api/trpc.ts): the access the
 * request's cookies prove, or the answer to send instead — 403 for a state-changing request from another site
 * (CSRF), 401 without an account, 403 for a role below `role`. With `shareClaim`, a visitor holding an open share
 * link that covers the claim is let through as well (reads only).
 */
export async function requireAccess(
  request: Request,
  role: Role,
  options: { shareClaim?: ShareClaim } = {},
): Promise<Access | Response> {
  const crossSite = refuseCrossSite(request);
  if (crossSite !== null) return crossSite;
  const { auth, db } = getAppDeps();
  const access = await resolveAccess({ deps: auth, db, headers: request.headers });
  const refusal = refusalOf(access, role);
  if (refusal === null) return access;
  if (isOpenShare(access) && options.shareClaim !== undefined) {
    if (await isShareClaimCovered({ db, grants: access.grants, claim: options.shareClaim })) return access;
    return jsonError(403, SHARE_REFUSAL);
  }
  return jsonError(refusal.status, refusal.message);
}
