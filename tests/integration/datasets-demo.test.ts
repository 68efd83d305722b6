import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DATASET_NAME, ensureDemoDataset } from "~/server/services/datasets/ensure-demo-dataset";
import { listDatasetItems } from "~/server/services/datasets/list-dataset-items";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { ROOT } from "../helpers/processes";
import { createMigratedDatabase, type TestDatabase } from "../helpers/test-database";

const DEMO_DIR = path.join(ROOT, "demo", "florence-vl-mini-scenes");

let dir: string;
let db: Db;
let database: TestDatabase;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "lens-demo-"));
  await ensureDataDir(dir);
  database = await createMigratedDatabase(dir);
  db = createDb(database.url);
});

afterAll(async () => {
  await db.$disconnect();
  await database?.drop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("ensureDemoDataset", () => {
  it("imports the 300 held-out scenes with captions and labels once", async () => {
    const first = await ensureDemoDataset({ db, dataDir: dir, demoDir: DEMO_DIR });
    expect(first.isCreated).toBe(true);
    expect(first.report?.dataset).toMatchObject({ name: DEMO_DATASET_NAME, source: "demo", itemCount: 300 });
    expect(first.report?.problems).toEqual([]);
    expect(first.report?.missingFiles).toEqual([]);

    const { total, items } = await listDatasetItems({
      db,
      datasetId: first.datasetId,
      offset: 0,
      limit: 1000,
    });
    expect(total).toBe(300);
    expect(items.map((item) => item.fileName).slice(0, 2)).toEqual(["test-0000.png", "test-0001.png"]);
    expect(items.every((item) => item.split === "test" && (item.caption ?? "").length > 10)).toBe(true);
    expect(
      items.every((item) => item.width === 192 && item.height === 192 && item.thumbnailUrl !== null),
    ).toBe(true);
    expect(items[0]?.caption).toMatch(/^There (is|are) /);
    expect(Object.keys(items[0]?.labels ?? {}).sort()).toEqual([
      "colours",
      "first_colour",
      "first_shape",
      "has_text",
      "n_objects",
      "shapes",
      "word",
    ]);
    const counts = new Set(items.map((item) => item.labels?.n_objects));
    expect([...counts].sort()).toEqual([1, 2, 3]);

    const before = {
      images: await db.image.count(),
      items: await db.datasetItem.count(),
      files: (await fs.readdir(path.join(dir, "images"), { recursive: true })).length,
    };
    const second = await ensureDemoDataset({ db, dataDir: dir, demoDir: DEMO_DIR });
    expect(second).toEqual({ isCreated: false, datasetId: first.datasetId, report: null });
    expect({
      images: await db.image.count(),
      items: await db.datasetItem.count(),
      files: (await fs.readdir(path.join(dir, "images"), { recursive: true })).length,
    }).toEqual(before);
  });
});
