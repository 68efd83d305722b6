import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { zipSync } from "fflate";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "~/server/app-error";
import { createDatasetFromFiles } from "~/server/services/datasets/create-dataset-from-files";
import { importFolder } from "~/server/services/datasets/import-folder";
import { listDatasetItems } from "~/server/services/datasets/list-dataset-items";
import { readStoredFile, storeFile } from "~/server/store/content-store";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { pngHeaderOnly } from "../helpers/png-bytes";
import { createMigratedDatabase, type TestDatabase } from "../helpers/test-database";

let dir: string;
let dataDir: string;
let db: Db;
let database: TestDatabase;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "lens-datasets-"));
  dataDir = path.join(dir, "data");
  await ensureDataDir(dataDir);
  database = await createMigratedDatabase(dataDir);
  db = createDb(database.url);
});

afterAll(async () => {
  await db.$disconnect();
  await database?.drop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A distinct small PNG per seed. */
async function png(seed: number, width = 40, height = 30): Promise<Uint8Array> {
  const rgb = { r: (seed * 53) % 256, g: (seed * 97) % 256, b: (seed * 193) % 256 };
  return new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: rgb } })
      .png()
      .toBuffer(),
  );
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function filesUnder(sub: string): Promise<string[]> {
  const entries = await fs.readdir(path.join(dataDir, sub), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

const encoder = new TextEncoder();

describe("content store", () => {
  it("stores bytes once by sha256 with a WebP thumbnail, atomically and idempotently", async () => {
    const bytes = await png(1, 300, 120);
    const first = await storeFile({ db, dataDir, bytes, fileName: "a.png" });
    expect(first).toMatchObject({ width: 300, height: 120, format: "png", problem: null, isNew: true });
    expect(first.storagePath).toBe(`images/${first.sha256.slice(0, 2)}/${first.sha256}`);
    expect(first.thumbnailPath).toBe(`thumbnails/${first.sha256.slice(0, 2)}/${first.sha256}.webp`);
    expect(Buffer.from(await readStoredFile(dataDir, first.storagePath)).equals(Buffer.from(bytes))).toBe(
      true,
    );
    const thumb = await sharp(await readStoredFile(dataDir, first.thumbnailPath ?? "")).metadata();
    expect([thumb.format, thumb.width, thumb.height]).toEqual(["webp", 256, 102]);

    const again = await storeFile({ db, dataDir, bytes, fileName: "copy.png" });
    expect(again).toMatchObject({ id: first.id, sha256: first.sha256, isNew: false });
    expect(await db.image.count({ where: { sha256: first.sha256 } })).toBe(1);
    const stored = await filesUnder("images");
    expect(stored.filter((name) => name === first.sha256)).toHaveLength(1);
    expect(stored.some((name) => name.endsWith(".tmp"))).toBe(false);
    await expect(readStoredFile(dataDir, "../outside")).rejects.toMatchObject({ code: "BAD_INPUT" });
  });

  it("keeps unreadable files with the reason", async () => {
    const good = Buffer.from(
      await sharp(Buffer.from(Array.from({ length: 80 * 60 * 3 }, (_, i) => (i * 7919) % 251)), {
        raw: { width: 80, height: 60, channels: 3 },
      })
        .png()
        .toBuffer(),
    );
    const cases: [string, Uint8Array, RegExp][] = [
      ["empty.png", new Uint8Array(0), /^The file is empty \(0 bytes\)\.$/],
      ["notes.txt", encoder.encode("just some text, not an image\n"), /^Not an image/],
      ["old.bmp", Buffer.concat([Buffer.from("BM"), Buffer.alloc(64)]), /^BMP files are not supported/],
      ["cut.png", good.subarray(0, Math.floor(good.length / 2)), /^The PNG file is corrupt or truncated/],
      ["noise.png", Buffer.concat([good.subarray(0, 100), Buffer.alloc(500, 7)]), /corrupt or truncated/],
      [
        "bomb.png",
        pngHeaderOnly(100_000, 100_000),
        /100000×100000 pixels, more than the limit of 100,000,000/,
      ],
    ];
    for (const [fileName, bytes, problem] of cases) {
      const stored = await storeFile({ db, dataDir, bytes, fileName, maxInputPixels: 100_000_000 });
      expect(stored.problem, fileName).toMatch(problem);
      expect(stored.thumbnailPath, fileName).toBeNull();
      expect(await readStoredFile(dataDir, stored.storagePath)).toHaveLength(bytes.byteLength);
    }
    const bomb = await db.image.findFirstOrThrow({ where: { problem: { contains: "100000×100000" } } });
    expect([bomb.width, bomb.height, bomb.format]).toEqual([100_000, 100_000, "png"]);
  });
});

describe("createDatasetFromFiles", () => {
  it("uploads several files and a zip, in upload order, skipping junk and keeping unreadable files", async () => {
    const [a, b, c, d] = await Promise.all([png(10), png(11), png(12), png(13)]);
    const zip = zipSync({
      "photos/": new Uint8Array(0),
      "photos/c.png": c as Uint8Array,
      "photos/deeper/d.png": d as Uint8Array,
      "photos/../../evil.png": a as Uint8Array, // zip-slip name: stored by hash, recorded with a clean name
      "__MACOSX/photos/._c.png": encoder.encode("resource fork"),
      "photos/.DS_Store": encoder.encode("finder"),
    });
    const report = await createDatasetFromFiles({
      db,
      dataDir,
      name: "holiday",
      files: [
        { name: "a.png", bytes: a as Uint8Array },
        { name: "b.png", bytes: b as Uint8Array },
        { name: "bundle.zip", bytes: zip },
        { name: "readme.txt", bytes: encoder.encode("hello") },
      ],
    });
    expect(report.dataset).toMatchObject({ name: "holiday", source: "upload", itemCount: 5 });
    expect(report.skipped.sort()).toEqual(["__MACOSX/photos/._c.png", "photos/.DS_Store"]);
    expect(report.duplicates).toEqual([{ fileName: "evil.png", sameAs: "a.png" }]);
    expect(report.problems).toEqual([
      { fileName: "readme.txt", problem: expect.stringMatching(/^Not an image/) },
    ]);

    const { total, items } = await listDatasetItems({ db, datasetId: report.dataset.id });
    expect(total).toBe(5);
    expect(items.map((item) => [item.position, item.fileName])).toEqual([
      [0, "a.png"],
      [1, "b.png"],
      [2, "c.png"], // the zip's one top folder is dropped, as for a folder import
      [3, "deeper/d.png"],
      [4, "readme.txt"],
    ]);
    const first = items[0];
    expect(first).toMatchObject({ width: 40, height: 30, format: "png", problem: null, caption: null });
    expect(first?.thumbnailUrl).toBe(`/api/images/${first?.sha256}/thumbnail`);
    expect(items[4]).toMatchObject({ thumbnailUrl: null, width: null, format: null });
  });

  it("stores the same image once across datasets and refuses a taken name", async () => {
    const shared = await png(20);
    const imagesBefore = await db.image.count();
    const one = await createDatasetFromFiles({
      db,
      dataDir,
      name: "one",
      files: [{ name: "x.png", bytes: shared }],
    });
    const two = await createDatasetFromFiles({
      db,
      dataDir,
      name: "two",
      files: [
        { name: "y.png", bytes: shared },
        { name: "again.png", bytes: shared },
      ],
    });
    expect(one.newImages).toBe(1);
    expect(two.newImages).toBe(0);
    expect(two.dataset.itemCount).toBe(1);
    expect(two.duplicates).toEqual([{ fileName: "again.png", sameAs: "y.png" }]);
    expect(await db.image.count()).toBe(imagesBefore + 1);
    const [itemOne, itemTwo] = await Promise.all([
      listDatasetItems({ db, datasetId: one.dataset.id }),
      listDatasetItems({ db, datasetId: two.dataset.id }),
    ]);
    expect(itemOne.items[0]?.imageId).toBe(itemTwo.items[0]?.imageId);
    const sha = itemOne.items[0]?.sha256 ?? "";
    expect((await filesUnder("images")).filter((name) => name === sha)).toHaveLength(1);

    const taken = await rejection(
      createDatasetFromFiles({
        db,
        dataDir,
        name: " one ",
        files: [{ name: "z.png", bytes: await png(21) }],
      }),
    );
    expect(taken.code).toBe("CONFLICT");
    expect(taken.message).toMatch(/"one" already exists/);
  });

  it("applies a JSONL manifest in manifest order and reports rows without files", async () => {
    const [a, b, c] = await Promise.all([png(30), png(31), png(32)]);
    const manifest = [
      '{"file": "sub/b.png", "caption": "the second", "labels": {"colour": "green", "n": 2}, "split": "test"}',
      '{"file": "a.png", "caption": "the first", "split": "train"}',
      '{"file": "gone.png", "caption": "not uploaded"}',
    ].join("\n");
    const report = await createDatasetFromFiles({
      db,
      dataDir,
      name: "with-jsonl",
      files: [
        { name: "a.png", bytes: a },
        { name: "b.png", bytes: b },
        { name: "c.png", bytes: c },
      ],
      manifest: { name: "labels.jsonl", text: manifest },
    });
    expect(report.missingFiles).toEqual([{ line: 3, file: "gone.png" }]);
    const { items } = await listDatasetItems({ db, datasetId: report.dataset.id });
    expect(items.map((item) => [item.fileName, item.caption, item.labels, item.split])).toEqual([
      ["b.png", "the second", { colour: "green", n: 2 }, "test"], // matched by its bare name
      ["a.png", "the first", null, "train"],
      ["c.png", null, null, null],
    ]);
  });

  it("reads a CSV manifest found at the top of a zip", async () => {
    const [a, b] = await Promise.all([png(40), png(41)]);
    const csv =
      'file,caption,split,mood\r\nb.png,"calm, blue",val,calm\r\na.png,"a ""quoted"" one",val,busy\r\n';
    const zip = zipSync({ "set/manifest.csv": encoder.encode(csv), "set/a.png": a, "set/b.png": b });
    const report = await createDatasetFromFiles({
      db,
      dataDir,
      name: "with-csv",
      files: [{ name: "set.zip", bytes: zip }],
    });
    const { items } = await listDatasetItems({ db, datasetId: report.dataset.id });
    expect(items.map((item) => [item.fileName, item.caption, item.labels, item.split])).toEqual([
      ["b.png", "calm, blue", { mood: "calm" }, "val"],
      ["a.png", 'a "quoted" one', { mood: "busy" }, "val"],
    ]);
  });

  it("refuses a bad manifest row with its line number and stores nothing", async () => {
    const datasets = await db.dataset.count();
    const error = await rejection(
      createDatasetFromFiles({
        db,
        dataDir,
        name: "bad-manifest",
        files: [{ name: "a.png", bytes: await png(50) }],
        manifest: { name: "m.csv", text: 'file,caption\na.png,ok\nb.png,"unclosed\n' },
      }),
    );
    expect(error).toMatchObject({
      code: "BAD_INPUT",
      message: "Manifest line 3: a quoted field is never closed.",
    });
    expect(await db.dataset.count()).toBe(datasets);
  });

  it("refuses zip bombs and archives with too many entries before expanding them", async () => {
    const imagesBefore = await db.image.count();
    const bomb = zipSync({ "zeros.png": new Uint8Array(8 * 1024 * 1024) }, { level: 9 });
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const limits = { maxFiles: 10, maxBytes: 1024 * 1024 };
    const big = await rejection(
      createDatasetFromFiles({
        db,
        dataDir,
        name: "bomb",
        files: [{ name: "bomb.zip", bytes: bomb }],
        limits,
      }),
    );
    expect(big.code).toBe("PAYLOAD_TOO_LARGE");
    expect(big.message).toBe(
      "The upload expands to 8 MB; the limit is 1 MB (MAX_IMPORT_BYTES). Split it into several datasets.",
    );
    const many = zipSync(
      Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`f${i}.txt`, encoder.encode(`${i}`)])),
    );
    const count = await rejection(
      createDatasetFromFiles({
        db,
        dataDir,
        name: "many",
        files: [{ name: "many.zip", bytes: many }],
        limits,
      }),
    );
    expect(count.code).toBe("PAYLOAD_TOO_LARGE");
    expect(count.message).toMatch(/holds 11 files; the limit is 10 \(MAX_IMPORT_FILES\)/);
    const broken = await rejection(
      createDatasetFromFiles({
        db,
        dataDir,
        name: "broken",
        files: [{ name: "x.zip", bytes: encoder.encode("no") }],
      }),
    );
    expect(broken.code).toBe("BAD_INPUT");
    expect(broken.message).toMatch(/^x\.zip is not a readable zip archive/);
    expect(await db.image.count()).toBe(imagesBefore);
  });

  it("never expands an entry past the size its zip declares", async () => {
    const zip = zipSync({ "liar.bin": new Uint8Array(1024 * 1024).fill(1) });
    // Patch the central directory's uncompressed size of the only entry down to 10 bytes.
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    let central = zip.byteLength - 22;
    while (view.getUint32(central, true) !== 0x02014b50) central--;
    view.setUint32(central + 24, 10, true);
    const report = await createDatasetFromFiles({
      db,
      dataDir,
      name: "liar",
      files: [{ name: "l.zip", bytes: zip }],
    });
    const { items } = await listDatasetItems({ db, datasetId: report.dataset.id });
    const image = await db.image.findUniqueOrThrow({ where: { id: items[0]?.imageId ?? "" } });
    expect(image.bytes).toBe(10);
  });
});

describe("importFolder", () => {
  let root: string;
  let outside: string;

  beforeAll(async () => {
    root = path.join(dir, "imports");
    outside = path.join(dir, "outside");
    await fs.mkdir(path.join(root, "scenes", "nested"), { recursive: true });
    await fs.mkdir(path.join(root, "scenes", ".cache"), { recursive: true });
    await fs.mkdir(path.join(root, "evil"), { recursive: true });
    await fs.mkdir(outside, { recursive: true });
    await fs.writeFile(path.join(root, "scenes", "one.png"), await png(60));
    await fs.writeFile(path.join(root, "scenes", "nested", "two.png"), await png(61));
    await fs.writeFile(path.join(root, "scenes", ".cache", "x.png"), await png(62));
    await fs.writeFile(
      path.join(root, "scenes", "manifest.jsonl"),
      '{"file": "nested/two.png", "caption": "two"}\n',
    );
    await fs.symlink(path.join(root, "scenes", "one.png"), path.join(root, "scenes", "link-inside.png"));
    await fs.writeFile(path.join(outside, "secret.png"), await png(63));
    await fs.writeFile(path.join(root, "evil", "fine.png"), await png(64));
    await fs.symlink(path.join(outside, "secret.png"), path.join(root, "evil", "link.png"));
    await fs.symlink(outside, path.join(root, "escape"));
  });

  it("imports a folder under a root recursively, with its manifest, regular files only", async () => {
    const report = await importFolder({ db, dataDir, roots: [root], folder: "scenes", name: "folder" });
    expect(report.dataset).toMatchObject({
      source: "folder",
      rootPath: await fs.realpath(path.join(root, "scenes")),
    });
    expect(report.skipped).toEqual([".cache"]);
    expect(report.duplicates).toEqual([{ fileName: "one.png", sameAs: "link-inside.png" }]);
    const { items } = await listDatasetItems({ db, datasetId: report.dataset.id });
    expect(items.map((item) => [item.fileName, item.caption])).toEqual([
      ["nested/two.png", "two"],
      ["link-inside.png", null],
    ]);
  });

  it("refuses .., absolute paths elsewhere and symlinks out of the root, importing nothing", async () => {
    const before = { datasets: await db.dataset.count(), images: await db.image.count() };
    const cases: [string, RegExp][] = [
      ["../outside", /^The folder "\.\.\/outside" contains "\.\."/],
      ["scenes/../../outside", /contains "\.\."/],
      [outside, new RegExp(`^"${outside}" is outside the import roots`)],
      ["/etc", /^"\/etc" is outside the import roots/],
      ["escape", /^"escape" is outside the import roots/],
      ["evil", /^"link\.png" in the folder is a symlink to .*outside.*secret\.png, outside the import roots/],
    ];
    for (const [folder, message] of cases) {
      const error = await rejection(
        importFolder({ db, dataDir, roots: [root], folder, name: `x-${folder}` }),
      );
      expect(error.code, folder).toBe("BAD_INPUT");
      expect(error.message, folder).toMatch(message);
    }
    const missing = await rejection(
      importFolder({ db, dataDir, roots: [root], folder: "nope", name: "nope" }),
    );
    expect(missing.code).toBe("NOT_FOUND");
    expect({ datasets: await db.dataset.count(), images: await db.image.count() }).toEqual(before);
  });
});
