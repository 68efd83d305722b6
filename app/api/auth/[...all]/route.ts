import { SignInGate } from "~/server/auth/sign-in-gate";
import { getAppDeps } from "~/server/composition-root";
import { jsonError } from "../../_http/error-response";

// Password hashing (scrypt) and the SQLite driver need Node.
export const runtime = "nodejs";

/**
 * better-auth's endpoints (server/auth/auth.ts): sign-in (rate-limited per client), sign-out, session, OpenID
 * Connect callbacks, and the admin plugin's account endpoints (administrators only, checked by better-auth
 * against the same roles). They check the Origin of every POST themselves. Absent while access control is off.
 */
// One password check at a time leaves the other core(s) to everyone else; a short queue absorbs a lab's morning.
const signInGate = new SignInGate(1, 16);
const SIGN_IN_PATH = /\/sign-in\/email$/;

async function handler(request: Request): Promise<Response> {
  const { auth } = getAppDeps();
  if (!auth.isEnabled) return jsonError(404, "Access control is off (AUTH): there is nothing to sign in to.");
  if (request.method !== "POST" || !SIGN_IN_PATH.test(new URL(request.url).pathname))
    return auth.auth().handler(request);
  const answer = await signInGate.run(() => auth.auth().handler(request));
  if (answer !== null) return answer;
  await request.body?.cancel();
  const busy = jsonError(429, "Too many sign-in attempts right now; try again in a moment.");
  busy.headers.set("X-Retry-After", "1");
  return busy;
}

export { handler as GET, handler as POST };
