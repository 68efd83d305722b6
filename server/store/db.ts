// Never in a browser bundle (it would carry the database driver): see package.json "imports".
import "#server-only";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { type Prisma, PrismaClient } from "./generated/prisma/client";

export type Db = PrismaClient;
/** The client inside `db.$transaction(async (tx) => …)`. */
export type DbTransaction = Prisma.TransactionClient;

/** A Prisma client on the SQLite file at `url` (`file:/abs/path.db`), through the better-sqlite3 driver adapter. */
export function createDb(url: string): Db {
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
}
