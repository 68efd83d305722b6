/**
 * Which database a connection string names, and where that provider's Prisma schema and migrations live. The
 * SQLite schema (prisma/schema.prisma) is the one that is edited; the PostgreSQL schema beside it is derived from it
 * by `npm run db:derive-postgres` (scripts/derive-postgres.ts), with its own migrations.
 */
export type DatabaseProvider = "sqlite" | "postgresql";

export function databaseProvider(url: string): DatabaseProvider {
  if (url.startsWith("file:")) return "sqlite";
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return "postgresql";
  throw new Error(
    `DATABASE_URL must be file:<path> (SQLite) or postgres://… (PostgreSQL), not "${url.split(":")[0]}:…"`,
  );
}

/** Schema and migrations of each provider, relative to the repository root. */
export const PRISMA_LAYOUT = {
  sqlite: { schema: "prisma/schema.prisma", migrations: "prisma/migrations" },
  postgresql: { schema: "prisma/postgres/schema.prisma", migrations: "prisma/postgres/migrations" },
} as const satisfies Record<DatabaseProvider, { schema: string; migrations: string }>;
