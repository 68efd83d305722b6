/**
 * Runs before every page (Next.js proxy, formerly middleware). Two jobs, both for access control (issue 19):
 * - `/s/<token>`: remembers the share link in this browser (server/auth/cookies.ts), so the shared view's data
 *   requests and image loads carry it without the token in any URL the page builds;
 * - with access control on, sends a browser without a session cookie to the sign-in page. This is navigation
 *   only: every procedure and route handler checks the session itself (server/api/trpc.ts, app/api/_http).
 */
import { getSessionCookie } from "better-auth/cookies";
import { type NextRequest, NextResponse } from "next/server";
import { AUTH_COOKIE_PREFIX, SHARE_COOKIE, shareTokensOf, withShareToken } from "~/server/auth/cookies";
import { env } from "~/server/env";
import { SHARE_TOKEN_PATTERN } from "~/server/services/share/share-link";

// A link stays remembered for this long after it was last opened; revocation and expiry still apply at once.
const SHARE_COOKIE_MAX_AGE_S = 30 * 24 * 3600;
// Pages anyone may open: signing in, and shared views.
const PUBLIC_PAGES = /^\/(sign-in|s\/)/;

export function proxy(request: NextRequest): NextResponse {
  const { pathname } = request.nextUrl;
  const token = /^\/s\/([^/]+)$/.exec(pathname)?.[1];
  if (token !== undefined && SHARE_TOKEN_PATTERN.test(token)) {
    const response = NextResponse.next();
    response.cookies.set(SHARE_COOKIE, withShareToken(shareTokensOf(request.headers.get("cookie")), token), {
      httpOnly: true,
      sameSite: "strict",
      secure: request.nextUrl.protocol === "https:",
      path: "/",
      maxAge: SHARE_COOKIE_MAX_AGE_S,
    });
    return response;
  }
  if (
    env.isAuthEnabled &&
    !PUBLIC_PAGES.test(pathname) &&
    getSessionCookie(request, { cookiePrefix: AUTH_COOKIE_PREFIX }) === null
  ) {
    const signIn = new URL("/sign-in", request.url);
    signIn.searchParams.set("next", `${pathname}${request.nextUrl.search}`);
    return NextResponse.redirect(signIn);
  }
  return NextResponse.next();
}

export const config = {
  // Pages only: the API answers 401 itself, and static assets need no check.
  matcher: ["/((?!api/|_next/|favicon.ico).*)"],
};
