import { z } from "zod";

/**
 * The roles of a lab's deployment, least to most: a viewer reads, a member also creates and deletes datasets, runs
 * and share links, an administrator also manages accounts. Each tRPC procedure and route handler names the least
 * role it needs (server/api/trpc.ts, app/api/_http/require-access.ts).
 */
export const ROLES = ["viewer", "member", "admin"] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

/** Whether `role` may do what `needed` may (roles are ordered; an unknown stored role counts as none). */
export function hasRole(role: string | null | undefined, needed: Role): boolean {
  const rank = ROLES.indexOf(role as Role);
  return rank >= 0 && rank >= ROLES.indexOf(needed);
}
