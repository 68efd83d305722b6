import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDatasets } from "~/server/services/catalog/list-datasets";
import { listRuns } from "~/server/services/catalog/list-runs";
import { ensureDataDir } from "~/server/store/data-dir";
import { databaseProvider } from "~/server/store/database-provider";
import { createDb, type Db } from "~/server/store/db";
import { applyMigrations } from "~/server/store/migrate";
import { ROOT } from "../helpers/processes";
import { createMigratedDatabase, TEST_POSTGRES_URL, type TestDatabase } from "../helpers/test-database";

let dir: string;
let db: Db;
let database: TestDatabase;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "lens-db-"));
  await ensureDataDir(dir);
  database = await createMigratedDatabase(dir);
  db = createDb(database.url);
});

afterAll(async () => {
  await db.$disconnect();
  await database?.drop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe(`fresh ${TEST_POSTGRES_URL === undefined ? "SQLite" : "PostgreSQL"} database`, () => {
  it("is created by the migrations with its data folders", async () => {
    expect(await db.dataset.count()).toBe(0);
    if (databaseProvider(database.url) === "sqlite")
      expect((await fs.stat(path.join(dir, "lens.db"))).size).toBeGreaterThan(0);
    for (const sub of ["images", "thumbnails", "features", "exports", "imports"]) {
      expect((await fs.stat(path.join(dir, sub))).isDirectory()).toBe(true);
    }
  });

  it("applies migrations idempotently", async () => {
    const report = await applyMigrations({ databaseUrl: database.url, cwd: ROOT });
    expect(report).toMatch(/No pending migrations/);
  });

  it("lists datasets and runs with their counts, newest first", async () => {
    const image = await db.image.create({
      data: {
        sha256: "a".repeat(64),
        width: 192,
        height: 192,
        format: "png",
        bytes: 1234,
        storagePath: "images/aa",
      },
    });
    const older = await db.dataset.create({
      data: { name: "scenes", source: "demo", createdAt: new Date("2026-01-01T00:00:00Z") },
    });
    await db.dataset.create({
      data: { name: "empty", source: "upload", createdAt: new Date("2026-02-01T00:00:00Z") },
    });
    await db.datasetItem.create({
      data: {
        datasetId: older.id,
        imageId: image.id,
        fileName: "a.png",
        caption: "a red circle",
        position: 0,
      },
    });
    await db.run.create({
      data: {
        name: "demo-run",
        datasetId: older.id,
        modelDir: "models/florence-vl-mini",
        modelHash: "b".repeat(64),
        prompts: [],
        sources: ["depth:V"],
        questions: [],
        status: "running",
        total: 1,
        done: 0,
      },
    });

    const datasets = await listDatasets({ db });
    expect(datasets.map((d) => [d.name, d.imageCount, d.runCount])).toEqual([
      ["empty", 0, 0],
      ["scenes", 1, 1],
    ]);
    const runs = await listRuns({ db });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      name: "demo-run",
      datasetName: "scenes",
      status: "running",
      total: 1,
      done: 0,
    });
  });

  it("stores an image once per content hash", async () => {
    const data = {
      sha256: "c".repeat(64),
      width: 1,
      height: 1,
      format: "png",
      bytes: 1,
      storagePath: "images/cc",
    };
    await db.image.create({ data });
    await expect(db.image.create({ data })).rejects.toThrow(/Unique constraint/);
  });
});
