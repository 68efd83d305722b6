import "#server-only";
import { APIError } from "better-auth/api";
import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";
import type { Auth } from "./auth";
import type { Role } from "./roles";

export interface UserDto {
  id: string;
  email: string;
  name: string;
  role: string;
  createdAt: Date;
}

const USER_FIELDS = { id: true, email: true, name: true, role: true, createdAt: true } as const;

/** Every account, oldest first. */
export function listUsers(options: { db: Db }): Promise<UserDto[]> {
  return options.db.user.findMany({ select: USER_FIELDS, orderBy: { createdAt: "asc" } });
}

export function countUsers(options: { db: Db }): Promise<number> {
  return options.db.user.count();
}

/**
 * A new email + password account (better-auth hashes the password). Callers check that whoever asks may make
 * accounts: an administrator's procedure, or `fvl users create-admin` on the server itself.
 */
export async function createUser(options: {
  auth: Auth;
  email: string;
  password: string;
  name: string;
  role: Role;
}): Promise<UserDto> {
  try {
    const { user } = await options.auth.api.createUser({
      body: {
        email: options.email.trim().toLowerCase(),
        password: options.password,
        name: options.name,
        role: options.role,
      },
    });
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role ?? options.role,
      createdAt: user.createdAt,
    };
  } catch (error) {
    // better-auth's own refusals (existing email, short password) are the user's to fix.
    if (error instanceof APIError) throw new AppError("BAD_INPUT", error.message);
    throw error;
  }
}

/** Changes an account's role; the last administrator keeps theirs, so the deployment always has one. */
export async function setUserRole(options: { db: Db; userId: string; role: Role }): Promise<UserDto> {
  const user = await findUser(options.db, options.userId);
  if (user.role === "admin" && options.role !== "admin") await refuseLastAdmin(options.db);
  return options.db.user.update({
    where: { id: user.id },
    data: { role: options.role },
    select: USER_FIELDS,
  });
}

/** Removes an account with its sessions (signed out at once); its links and audit entries stay, unattributed. */
export async function removeUser(options: { db: Db; userId: string; actingUserId: string | null }) {
  const user = await findUser(options.db, options.userId);
  if (user.id === options.actingUserId)
    throw new AppError("BAD_INPUT", "You cannot remove your own account; another administrator can.");
  if (user.role === "admin") await refuseLastAdmin(options.db);
  await options.db.user.delete({ where: { id: user.id } });
  return { id: user.id, email: user.email };
}

async function findUser(db: Db, userId: string) {
  const user = await db.user.findUnique({ where: { id: userId }, select: USER_FIELDS });
  if (user === null) throw new AppError("NOT_FOUND", "No such account.");
  return user;
}

async function refuseLastAdmin(db: Db): Promise<void> {
  if ((await db.user.count({ where: { role: "admin" } })) <= 1)
    throw new AppError("CONFLICT", "This is the last administrator; make another one first.");
}
