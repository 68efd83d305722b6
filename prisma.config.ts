import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";
import { env } from "./server/env";

/**
 * Prisma 6.19 with its JavaScript schema engine and a driver adapter: the CLI needs no native download, so
 * `migrate deploy` works on an offline machine.
 */
// The CLI resolves the schema's `env("DATABASE_URL")` before it looks at the adapter; when it cannot, it falls back
// to downloading a native engine. Hand it the same default the app uses.
process.env.DATABASE_URL ??= env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => new PrismaBetterSQLite3({ url: env.DATABASE_URL }),
});
