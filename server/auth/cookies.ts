/** Session cookies are `fvl.session_token` (`__Secure-fvl.…` on https), set by better-auth (server/auth/auth.ts). */
export const AUTH_COOKIE_PREFIX = "fvl";

/**
 * The cookie that carries the share links a browser without an account opened (set by proxy.ts when it opens
 * /s/<token>): the shared page's data requests and image loads then prove the link on every request, with no
 * token in any URL the page builds. HTTP-only and SameSite=Strict, so no script and no other site can use it.
 */
export const SHARE_COOKIE = "fvl_share";

// Tokens are base64url (no "."), so one cookie holds several; the newest first, the oldest dropped past this.
const MAX_TOKENS = 8;
const SEPARATOR = ".";

export function shareTokensOf(cookieHeader: string | null): string[] {
  if (cookieHeader === null) return [];
  for (const part of cookieHeader.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SHARE_COOKIE) return value.join("=").split(SEPARATOR).filter(Boolean).slice(0, MAX_TOKENS);
  }
  return [];
}

/** The cookie value once `token` is opened: it first, then the others this browser already had. */
export function withShareToken(current: readonly string[], token: string): string {
  return [token, ...current.filter((other) => other !== token)].slice(0, MAX_TOKENS).join(SEPARATOR);
}
