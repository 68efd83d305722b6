import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";
import { env } from "./server/env";
import { databaseProvider, PRISMA_LAYOUT } from "./server/store/database-provider";
import { postgresMigrationAdapter } from "./server/store/postgres-migration-adapter";

/**
 * Prisma 6.19 with its JavaScript schema engine and a driver adapter: the CLI needs no native download, so
 * `migrate deploy` works on an offline machine. The provider follows DATABASE_URL: a `file:` URL takes the SQLite
 * schema and migrations, a `postgres://` URL the PostgreSQL ones derived from it (server/store/database-provider.ts).
 */
// The CLI resolves the schema's `env("DATABASE_URL")` before it looks at the adapter; when it cannot, it falls back
// to downloading a native engine. Hand it the same default the app uses.
process.env.DATABASE_URL ??= env.DATABASE_URL;
const url = env.DATABASE_URL;
const provider = databaseProvider(url);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: PRISMA_LAYOUT[provider].schema,
  migrations: { path: PRISMA_LAYOUT[provider].migrations },
  adapter: async () =>
    provider === "sqlite" ? new PrismaBetterSQLite3({ url }) : postgresMigrationAdapter(url),
});
