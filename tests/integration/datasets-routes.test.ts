import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ImportReport } from "~/server/services/datasets/dataset-types";
import { ensureDataDir } from "~/server/store/data-dir";
import type { Db } from "~/server/store/db";
import { createMigratedDatabase, type TestDatabase } from "../helpers/test-database";

const LIMIT = 1024 * 1024; // MAX_UPLOAD_BYTES for this file: 1 MB
const URL_BASE = "http://127.0.0.1/api";

type Handler = (request: Request) => Promise<Response>;
type ImageGet = (
  request: Request,
  context: { params: Promise<{ sha256: string; variant: string }> },
) => Promise<Response>;

const savedEnv = {
  DATA_DIR: process.env.DATA_DIR,
  DATABASE_URL: process.env.DATABASE_URL,
  MAX_UPLOAD_BYTES: process.env.MAX_UPLOAD_BYTES,
};
let dir: string;
let database: TestDatabase;
let POST: Handler;
let GET: ImageGet;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "lens-upload-"));
  await ensureDataDir(dir);
  database = await createMigratedDatabase(dir);
  const { url } = database;
  // The route handlers read the validated env at import: configure it, then load them fresh.
  process.env.DATA_DIR = dir;
  process.env.DATABASE_URL = url;
  process.env.MAX_UPLOAD_BYTES = String(LIMIT);
  vi.resetModules();
  POST = (await import("~/app/api/datasets/upload/route")).POST;
  GET = (await import("~/app/api/images/[sha256]/[variant]/route")).GET;
});

afterAll(async () => {
  const holder = globalThis as { lensDb?: Db };
  await holder.lensDb?.$disconnect();
  delete holder.lensDb;
  await database?.drop();
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await fs.rm(dir, { recursive: true, force: true });
});

/** A body of `total` bytes in 64 KiB chunks that counts how much of it was ever read. */
function countingBody(total: number) {
  const chunk = new Uint8Array(64 * 1024).fill(65);
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= total) return controller.close();
      state.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, state };
}

function upload(body: BodyInit, headers: Record<string, string> = {}): Request {
  return new Request(`${URL_BASE}/datasets/upload`, {
    method: "POST",
    body,
    headers,
    duplex: "half",
  } as RequestInit);
}

const imageParams = (sha256: string, variant: string) => ({ params: Promise.resolve({ sha256, variant }) });

describe("POST /api/datasets/upload", () => {
  it("answers 413 with the limit before reading a body whose Content-Length is over it", async () => {
    const { stream, state } = countingBody(4 * LIMIT);
    const response = await POST(
      upload(stream, {
        "content-type": "multipart/form-data; boundary=x",
        "content-length": String(4 * LIMIT),
      }),
    );
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: string };
    expect(body.error).toMatch(/limit is 1 MB \(MAX_UPLOAD_BYTES\)/);
    expect(state.pulled).toBeLessThanOrEqual(64 * 1024);
  });

  it("cuts off a streamed body once it passes the limit", async () => {
    const { stream, state } = countingBody(8 * LIMIT);
    const response = await POST(upload(stream, { "content-type": "multipart/form-data; boundary=x" }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toMatch(/limit is 1 MB/);
    expect(state.pulled).toBeLessThan(2 * LIMIT);
  });

  it("creates a dataset from form files and a manifest, then serves its images", async () => {
    const red = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#d22" } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.set("name", "uploaded");
    form.append("files", new Blob([new Uint8Array(red)], { type: "image/png" }), "red.png");
    form.append("files", new Blob(["<svg onload=alert(1)>"], { type: "text/html" }), "page.html");
    form.set("manifest", new Blob(['{"file": "red.png", "caption": "a red box"}\n']), "manifest.jsonl");
    const response = await POST(upload(form));
    expect(response.status).toBe(201);
    const report = (await response.json()) as ImportReport;
    expect(report.dataset).toMatchObject({ name: "uploaded", source: "upload", itemCount: 2 });
    expect(report.problems.map((p) => p.fileName)).toEqual(["page.html"]);

    const again = await POST(upload(form));
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toMatch(/"uploaded" already exists/);

    const { createHash } = await import("node:crypto");
    const sha = createHash("sha256").update(red).digest("hex");
    const thumb = await GET(
      new Request(`${URL_BASE}/images/${sha}/thumbnail`),
      imageParams(sha, "thumbnail"),
    );
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    // Immutable, but private: with access control on, a shared cache must not hand it to someone without access.
    expect(thumb.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width).toBe(64);

    const original = await GET(
      new Request(`${URL_BASE}/images/${sha}/original`),
      imageParams(sha, "original"),
    );
    expect(original.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await original.arrayBuffer()).equals(red)).toBe(true);

    const htmlSha = createHash("sha256").update("<svg onload=alert(1)>").digest("hex");
    const html = await GET(
      new Request(`${URL_BASE}/images/${htmlSha}/original`),
      imageParams(htmlSha, "original"),
    );
    expect(html.headers.get("content-type")).toBe("application/octet-stream");
    expect(html.headers.get("content-disposition")).toMatch(/^attachment/);
    const noThumb = await GET(new Request(`${URL_BASE}/x`), imageParams(htmlSha, "thumbnail"));
    expect(noThumb.status).toBe(404);
    expect(((await noThumb.json()) as { error: string }).error).toMatch(
      /^This file has no thumbnail: The file's header is corrupt/,
    );

    for (const [sha256, variant] of [
      [sha.toUpperCase(), "original"],
      ["../../lens.db", "original"],
      [sha, "raw"],
      ["f".repeat(64), "thumbnail"],
    ] as const) {
      const missing = await GET(new Request(`${URL_BASE}/x`), imageParams(sha256, variant));
      expect(missing.status, `${sha256}/${variant}`).toBe(404);
    }
  });

  it("streams store progress as NDJSON and keeps a folder's relative paths", async () => {
    const form = new FormData();
    form.set("name", "folder upload");
    for (let i = 0; i < 5; i++) {
      const bytes = await sharp({
        create: { width: 16, height: 16, channels: 3, background: { r: 40 * i, g: 10, b: 200 } },
      })
        .png()
        .toBuffer();
      form.append("files", new Blob([new Uint8Array(bytes)]), `scenes/sub/${i}.png`);
    }
    form.set("manifest", new Blob(["file,label\nscenes/sub/3.png,three\n"]), "labels.csv");
    const response = await POST(upload(form, { accept: "application/x-ndjson" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { type: string; stored?: number; total?: number; report?: ImportReport },
      );
    expect(lines[0]).toMatchObject({ type: "received", files: 5 });
    expect(lines.filter((l) => l.type === "progress").map((l) => `${l.stored}/${l.total}`)).toEqual([
      "1/5",
      "2/5",
      "3/5",
      "4/5",
      "5/5",
    ]);
    const done = lines.at(-1);
    expect(done?.type).toBe("done");
    expect(done?.report?.dataset.itemCount).toBe(5);
    // Staged copies are gone once the import is done.
    expect(await fs.readdir(path.join(dir, "uploads"))).toEqual([]);
    const { listDatasetItems } = await import("~/server/services/datasets/list-dataset-items");
    const { createDb } = await import("~/server/store/db");
    const db = createDb(process.env.DATABASE_URL ?? "");
    const items = await listDatasetItems({ db, datasetId: done?.report?.dataset.id ?? "" });
    expect(items.items[0]).toMatchObject({ fileName: "scenes/sub/3.png", labels: { label: "three" } });
    expect(items.items.map((item) => item.fileName).sort()).toEqual(
      [0, 1, 2, 3, 4].map((i) => `scenes/sub/${i}.png`),
    );
    await db.$disconnect();

    // A failure after the body was read arrives as the last line, with its status.
    const again = await POST(upload(form, { accept: "application/x-ndjson" }));
    const last = JSON.parse((await again.text()).trim().split("\n").at(-1) ?? "{}") as {
      type: string;
      status: number;
      error: string;
    };
    expect(last).toMatchObject({ type: "error", status: 409 });
    expect(last.error).toMatch(/"folder upload" already exists/);
  });

  it("answers 400 for a request that is not multipart or has no name", async () => {
    const json = await POST(upload("{}", { "content-type": "application/json" }));
    expect(json.status).toBe(400);
    const form = new FormData();
    form.append("files", new Blob(["x"]), "x.png");
    const nameless = await POST(upload(form));
    expect(nameless.status).toBe(400);
    expect(((await nameless.json()) as { error: string }).error).toMatch(/name/);
  });
});
