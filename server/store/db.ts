// Never in a browser bundle (it would carry the database drivers): see package.json "imports".
import "#server-only";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseProvider } from "./database-provider";
import { type Prisma, PrismaClient } from "./generated/prisma/client";
import { PrismaClient as PostgresPrismaClient } from "./generated/prisma-pg/client";

export type Db = PrismaClient;
/** The client inside `db.$transaction(async (tx) => …)`. */
export type DbTransaction = Prisma.TransactionClient;

// A connection that drops (server restart) is replaced by the pool on the next query; a few spare connections let
// a worker's heartbeats pass while a batch's writes run.
const POSTGRES_POOL_SIZE = 8;

/**
 * A Prisma client on `url`: the SQLite file of `file:/abs/path.db` through the better-sqlite3 driver adapter, or
 * the PostgreSQL database of `postgres://…` through the pg adapter. Both clients are generated from the same models
 * (prisma/schema.prisma and its derived prisma/postgres/schema.prisma), so the PostgreSQL one serves as `Db`.
 */
export function createDb(url: string): Db {
  if (databaseProvider(url) === "sqlite")
    return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
  const client = new PostgresPrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: POSTGRES_POOL_SIZE }),
  });
  return client as unknown as Db;
}
