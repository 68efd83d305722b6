import fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { derivePostgresSchema } from "~/scripts/postgres-schema";
import { databaseProvider, PRISMA_LAYOUT } from "~/server/store/database-provider";
import { ROOT } from "../../helpers/processes";

const read = (file: string) => fs.readFile(path.join(ROOT, file), "utf8");

describe("the PostgreSQL schema", () => {
  it("is the SQLite schema derived (run `npm run db:derive-postgres` after editing prisma/schema.prisma)", async () => {
    const derived = derivePostgresSchema(await read(PRISMA_LAYOUT.sqlite.schema));
    expect(await read(PRISMA_LAYOUT.postgresql.schema)).toBe(derived);
  });

  it("has the same models with only the provider and the client output changed", async () => {
    const source = await read(PRISMA_LAYOUT.sqlite.schema);
    const derived = derivePostgresSchema(source);
    const models = (text: string) => [...text.matchAll(/^model (\w+) \{/gm)].map((match) => match[1]);
    expect(models(derived)).toEqual(models(source));
    expect(models(source).length).toBeGreaterThan(5);
    expect(derived).toMatch(/datasource db \{\s*provider = "postgresql"/);
    expect(derived).toContain('output     = "../../server/store/generated/prisma-pg"');
    expect(() => derivePostgresSchema(source.replace('"sqlite"', '"mysql"'))).toThrow(/provider "sqlite"/);
  });

  it("has a migration set of its own, with PostgreSQL's lock file", async () => {
    const dir = path.join(ROOT, PRISMA_LAYOUT.postgresql.migrations);
    expect(await fs.readFile(path.join(dir, "migration_lock.toml"), "utf8")).toContain(
      'provider = "postgresql"',
    );
    const folders = (await fs.readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    expect(folders.length).toBeGreaterThan(0);
  });
});

describe("databaseProvider", () => {
  it("follows the connection string's scheme", () => {
    expect(databaseProvider("file:/tmp/lens.db")).toBe("sqlite");
    expect(databaseProvider("postgres://u:p@h:5432/db")).toBe("postgresql");
    expect(databaseProvider("postgresql://h/db")).toBe("postgresql");
    expect(() => databaseProvider("mysql://h/db")).toThrow(/DATABASE_URL/);
  });
});
