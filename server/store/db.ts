import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { env } from "~/server/env";
import { PrismaClient } from "./generated/prisma/client";

export type Db = PrismaClient;

/** A Prisma client on the SQLite file at `url` (`file:/abs/path.db`), through the better-sqlite3 driver adapter. */
export function createDb(url: string): Db {
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
}

// One client per process; kept on globalThis so Next.js dev reloads don't open a new connection each time.
const holder = globalThis as unknown as { lensDb?: Db };

export function getDb(): Db {
  holder.lensDb ??= createDb(env.DATABASE_URL);
  return holder.lensDb;
}
