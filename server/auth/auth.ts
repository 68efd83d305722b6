/**
 * Accounts and sessions: better-auth (https://better-auth.com) on the app's own Prisma client.
 *
 * Why better-auth: it keeps users, sessions and OAuth accounts in our database through its Prisma adapter (the
 * driver-adapter client generated to server/store/generated/prisma works as-is: the adapter only calls the
 * client's model delegates), hashes passwords (scrypt), sets HTTP-only SameSite cookies, rate-limits sign-in,
 * checks the Origin of its own POSTs, and adds OpenID Connect (generic OAuth plugin) and roles (admin plugin)
 * without a hosted service — everything works offline. Auth.js would need its credentials provider, which it
 * discourages, and a JWT or database session strategy of our own around it.
 */
import "#server-only";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { admin, genericOAuth } from "better-auth/plugins";
import { createAccessControl } from "better-auth/plugins/access";
import { defaultStatements } from "better-auth/plugins/admin/access";
import type { Db } from "~/server/store/db";
import { AUTH_COOKIE_PREFIX } from "./cookies";
import type { Role } from "./roles";
import { requestOrigin } from "./same-origin";

/** Where better-auth's endpoints are mounted (app/api/auth/[...all]/route.ts). */
export const AUTH_BASE_PATH = "/api/auth";

/**
 * Sign-in attempts one client (IP address) may make per window; more are answered 429 before any password is
 * hashed, so a password-guessing client costs the server almost nothing and other users stay fast.
 */
export const SIGN_IN_WINDOW_S = 60;
export const SIGN_IN_MAX_ATTEMPTS = 10;

// The admin plugin's account endpoints follow the same roles: administrators may do everything it offers except
// acting as another user (impersonation would let the audit log name the wrong person); members and viewers none.
const accessControl = createAccessControl(defaultStatements);
const pluginRoles = {
  admin: accessControl.newRole({
    user: defaultStatements.user.filter((action) => !action.startsWith("impersonate")),
    session: [...defaultStatements.session],
  }),
  member: accessControl.newRole({ user: [], session: [] }),
  viewer: accessControl.newRole({ user: [], session: [] }),
} satisfies Record<Role, unknown>;

export interface AuthOptions {
  db: Db;
  /** The database's provider, for the adapter's SQL dialect details. */
  provider: "sqlite" | "postgresql";
  secret: string;
  /** The dashboard's public address (OpenID Connect callbacks, Secure cookies on https). */
  publicUrl: string;
  oidc: { issuer: string; clientId: string; clientSecret: string } | null;
}

export function createAuth(options: AuthOptions) {
  const publicOrigin = new URL(options.publicUrl).origin;
  return betterAuth({
    appName: "Florence-VL Lens",
    baseURL: options.publicUrl,
    basePath: AUTH_BASE_PATH,
    secret: options.secret,
    database: prismaAdapter(options.db, { provider: options.provider }),
    // Accounts are made by an administrator (or the first one from the CLI / setup token), never by sign-up.
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 10 },
    // A browser may call the auth endpoints from the address it opened the dashboard at, whatever name it used
    // for this server (a lab reaches it as `gpu-box:3000` as well as by IP): the request's own origin, which a
    // cross-site page cannot take.
    trustedOrigins: (request) => [publicOrigin, request === undefined ? null : requestOrigin(request)],
    session: { expiresIn: 7 * 24 * 3600, updateAge: 24 * 3600 },
    rateLimit: {
      enabled: true,
      storage: "memory",
      window: 10,
      max: 100,
      customRules: { "/sign-in/email": { window: SIGN_IN_WINDOW_S, max: SIGN_IN_MAX_ATTEMPTS } },
    },
    advanced: {
      cookiePrefix: AUTH_COOKIE_PREFIX,
      useSecureCookies: publicOrigin.startsWith("https:"),
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax" },
    },
    telemetry: { enabled: false },
    plugins: [
      admin({ defaultRole: "viewer", adminRoles: ["admin"], ac: accessControl, roles: pluginRoles }),
      ...(options.oidc === null
        ? []
        : [
            genericOAuth({
              config: [
                {
                  providerId: "oidc",
                  discoveryUrl: `${options.oidc.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
                  clientId: options.oidc.clientId,
                  clientSecret: options.oidc.clientSecret,
                  scopes: ["openid", "email", "profile"],
                  pkce: true,
                },
              ],
            }),
          ]),
    ],
  });
}

export type Auth = ReturnType<typeof createAuth>;
