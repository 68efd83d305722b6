import { getAppDeps } from "~/server/composition-root";
import { jsonError } from "../../_http/error-response";

// Password hashing (scrypt) and the SQLite driver need Node.
export const runtime = "nodejs";

/**
 * better-auth's endpoints (server/auth/auth.ts): sign-in (rate-limited per client), sign-out, session, OpenID
 * Connect callbacks, and the admin plugin's account endpoints (administrators only, checked by better-auth
 * against the same roles). They check the Origin of every POST themselves. Absent while access control is off.
 */
function handler(request: Request): Response | Promise<Response> {
  const { auth } = getAppDeps();
  if (!auth.isEnabled) return jsonError(404, "Access control is off (AUTH): there is nothing to sign in to.");
  return auth.auth().handler(request);
}

export { handler as GET, handler as POST };
