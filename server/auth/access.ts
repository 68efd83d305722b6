import "#server-only";
import { resolveShareGrants, type ShareGrant } from "~/server/services/share/share-access";
import type { Db } from "~/server/store/db";
import type { Auth } from "./auth";
import { shareTokensOf } from "./cookies";
import { hasRole, type Role } from "./roles";

/** A signed-in account as the server sees it on a request. */
export interface SignedInUser {
  id: string;
  email: string;
  name: string;
  role: string;
}

/**
 * Who is asking, decided once per request from its cookies:
 * - `open`: access control is off (AUTH=off, or loopback under `auto`): the one local user may do everything;
 * - `user`: a signed-in account, with its role;
 * - `share`: no account, but the share links this browser opened (possibly none still open);
 * - `anonymous`: neither.
 */
export type Access =
  | { kind: "open" }
  | { kind: "user"; user: SignedInUser }
  | { kind: "share"; grants: readonly ShareGrant[] }
  | { kind: "anonymous" };

/** The access-control dependencies the composition root builds (server/composition-root.ts). */
export interface AuthDeps {
  isEnabled: boolean;
  /** The OpenID Connect provider's name on the sign-in page, when one is configured. */
  oidcName: string | null;
  /** The better-auth instance, built on first use (it reads or creates the cookie secret). */
  auth: () => Auth;
}

export async function resolveAccess(options: { deps: AuthDeps; db: Db; headers: Headers }): Promise<Access> {
  if (!options.deps.isEnabled) return { kind: "open" };
  const session = await options.deps.auth().api.getSession({ headers: options.headers });
  if (session !== null && session.user.banned !== true)
    return {
      kind: "user",
      user: {
        id: session.user.id,
        email: session.user.email,
        name: session.user.name,
        role: session.user.role ?? "viewer",
      },
    };
  const tokens = shareTokensOf(options.headers.get("cookie"));
  if (tokens.length === 0) return { kind: "anonymous" };
  return { kind: "share", grants: await resolveShareGrants({ db: options.db, tokens }) };
}

/** A visitor without an account holding at least one share link that still opens. */
export function isOpenShare(access: Access): access is Extract<Access, { kind: "share" }> {
  return access.kind === "share" && access.grants.length > 0;
}

/** Whether the access may do what `role` may. */
export function canActAs(access: Access, role: Role): boolean {
  if (access.kind === "open") return true;
  return access.kind === "user" && hasRole(access.user.role, role);
}

/** Why an access may not do what `role` may, for the API's one refusal: 401 without an account, else 403. */
export function refusalOf(access: Access, role: Role): { status: 401 | 403; message: string } | null {
  if (canActAs(access, role)) return null;
  if (access.kind !== "user") return { status: 401, message: "Sign in to use this dashboard." };
  return {
    status: 403,
    message: `Your role (${access.user.role}) cannot do this; it needs ${role}. Ask an administrator.`,
  };
}

/** What a share link that does not cover a read answers. */
export const SHARE_REFUSAL = "This share link does not show that.";

/** Who the audit log names for an access. */
export function actorOf(access: Access): { actorId: string | null; actorEmail: string } {
  if (access.kind === "user") return { actorId: access.user.id, actorEmail: access.user.email };
  return { actorId: null, actorEmail: access.kind === "open" ? "local" : "anonymous" };
}
