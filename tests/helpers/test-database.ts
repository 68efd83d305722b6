import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { PRISMA_LAYOUT } from "~/server/store/database-provider";
import { applyMigrations } from "~/server/store/migrate";
import { ROOT } from "./processes";

/**
 * Where the integration suite keeps its data. By default each test file gets a SQLite file in its DATA_DIR; with
 * TEST_POSTGRES_URL (a PostgreSQL server URL whose role may create databases: CI's second pass, `.ci/run`) each
 * gets a database of its own on that server, a copy of a template migrated once with the PostgreSQL migrations (a
 * copy takes milliseconds, `migrate deploy` seconds), dropped afterwards.
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL;

export interface TestDatabase {
  url: string;
  /** Drops the PostgreSQL database (the SQLite file goes with its folder). */
  drop(): Promise<void>;
}

/** A freshly migrated database for one test file. */
export async function createMigratedDatabase(dataDir: string): Promise<TestDatabase> {
  if (TEST_POSTGRES_URL === undefined) {
    const url = `file:${path.join(dataDir, "lens.db")}`;
    await applyMigrations({ databaseUrl: url, cwd: ROOT });
    return { url, drop: async () => undefined };
  }
  const template = await migratedTemplate();
  const name = `lens_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await onServer((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    url: databaseUrl(name),
    drop: () => onServer((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}

function databaseUrl(name: string): string {
  const url = new URL(TEST_POSTGRES_URL ?? "");
  url.pathname = `/${name}`;
  return url.toString();
}

/** The template database for the current migrations, named by their hash; migrated when it does not exist yet. */
async function migratedTemplate(): Promise<string> {
  const folder = path.join(ROOT, PRISMA_LAYOUT.postgresql.migrations);
  const hash = createHash("sha256");
  for (const entry of (await fs.readdir(folder)).sort()) {
    if (entry.endsWith(".toml")) continue;
    hash.update(entry).update(await fs.readFile(path.join(folder, entry, "migration.sql")));
  }
  const name = `lens_template_${hash.digest("hex").slice(0, 16)}`;
  let exists = false;
  await onServer(async (client) => {
    exists = (await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
  });
  if (exists) return name;
  // Built under another name and renamed, so a run stopped half-way never leaves a half-migrated template.
  const building = `${name}_${process.pid}`;
  await onServer((client) => client.query(`CREATE DATABASE "${building}"`));
  await applyMigrations({ databaseUrl: databaseUrl(building), cwd: ROOT });
  await onServer((client) => client.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`));
  return name;
}

async function onServer(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
