import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "~/server/store/migrate";
import { dashboardEnv } from "../helpers/dashboard-stack";
import { isServing, ROOT, type RunningProcess, startBin, waitUntil } from "../helpers/processes";

// The issue asks for 2 GB under 500 MB of server memory. Uploading and then decoding, hashing and thumbnailing
// 2 GB of photos takes minutes on a 2-core CI machine, so the test sends UPLOAD_MB (512 MB by default; set
// LENS_UPLOAD_TEST_MB=2048 for the full size). Memory use does not grow with the upload (each file streams to
// disk, then is read back alone), which the peak shows at either size.
const UPLOAD_MB = Number(process.env.LENS_UPLOAD_TEST_MB ?? 512);
const MAX_SERVER_RSS_MB = 500;
// Photo-sized files: noise JPEGs of about 2 MB, each made distinct by a comment segment (no re-encoding).
const BASE_IMAGES = 8;
const ARTIFACTS = path.join(ROOT, "tests", "e2e", "artifacts");

let work: string;
let server: RunningProcess;
let baseUrl: string;
let bases: Buffer[] = [];

/** Resident memory of a process and all its descendants (next start runs the server in a child), in bytes. */
async function treeRss(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  let total = kb * 1024;
  const tasks = await fs.readdir(`/proc/${pid}/task`).catch(() => []);
  for (const task of tasks) {
    const children = await fs.readFile(`/proc/${pid}/task/${task}/children`, "utf8").catch(() => "");
    for (const child of children.split(" ").filter(Boolean)) total += await treeRss(Number(child));
  }
  return total;
}

/** File `i`: base image i mod BASE_IMAGES with a COM segment naming i right after the JPEG's SOI marker. */
function fileBytes(i: number): Buffer {
  const base = bases[i % BASE_IMAGES] ?? Buffer.alloc(0);
  const text = Buffer.from(`lens upload test file ${i}`);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(text.byteLength + 2, 2);
  return Buffer.concat([base.subarray(0, 2), segment, text, base.subarray(2)]);
}

/** The multipart body, produced part by part as the socket takes it: the test holds no more of it either. */
function multipartBody(boundary: string, files: number): ReadableStream<Uint8Array> {
  let next = -1;
  return new ReadableStream({
    pull(controller) {
      if (next === -1) {
        controller.enqueue(
          Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="name"\r\n\r\nbig upload\r\n`),
        );
      } else if (next < files) {
        const head = `--${boundary}\r\ncontent-disposition: form-data; name="files"; filename="photos/${next}.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`;
        controller.enqueue(Buffer.concat([Buffer.from(head), fileBytes(next), Buffer.from("\r\n")]));
      } else {
        controller.enqueue(Buffer.from(`--${boundary}--\r\n`));
        controller.close();
      }
      next++;
    },
  });
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-upload-memory-"));
  const env: NodeJS.ProcessEnv = {
    ...(await dashboardEnv(work)),
    MAX_UPLOAD_BYTES: String(2 * UPLOAD_MB * 1024 * 1024),
    MAX_IMPORT_BYTES: String(2 * UPLOAD_MB * 1024 * 1024),
  };
  const dataDir = env.DATA_DIR ?? "";
  await fs.mkdir(dataDir, { recursive: true });
  await applyMigrations({ databaseUrl: `file:${path.join(dataDir, "lens.db")}`, cwd: ROOT });
  bases = await Promise.all(
    Array.from({ length: BASE_IMAGES }, (_, i) =>
      sharp({
        create: {
          width: 1400,
          height: 1000,
          channels: 3,
          background: { r: 20 * i, g: 90, b: 160 },
          noise: { type: "gaussian", mean: 128, sigma: 60 },
        },
      })
        .jpeg({ quality: 92 })
        .toBuffer(),
    ),
  );
  // Only the web server: uploads need no model.
  server = startBin(
    "next",
    ["start", "-H", "127.0.0.1", "-p", env.PORT ?? ""],
    env as Record<string, string>,
  );
  baseUrl = `http://127.0.0.1:${env.PORT}`;
  await waitUntil(() => isServing(baseUrl), 60_000, "next start");
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await fs.rm(work, { recursive: true, force: true });
});

describe("a large upload", () => {
  it(`streams ${UPLOAD_MB} MB in many files with the web server's memory under ${MAX_SERVER_RSS_MB} MB`, {
    timeout: 600_000,
  }, async () => {
    const pid = server.child.pid ?? 0;
    const fileSize = fileBytes(0).byteLength;
    const files = Math.ceil((UPLOAD_MB * 1024 * 1024) / fileSize);
    // Warm the route (first requests compile nothing in a production build, but load the handler's modules).
    await fetch(`${baseUrl}/api/datasets/upload`, { method: "POST" }).then((r) => r.body?.cancel());
    const baseline = await treeRss(pid);
    let peak = baseline;
    let isSampling = true;
    const sampler = (async () => {
      while (isSampling) {
        peak = Math.max(peak, await treeRss(pid));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const boundary = "lens-upload-boundary-7f3a";
    const started = performance.now();
    const response = await fetch(`${baseUrl}/api/datasets/upload`, {
      method: "POST",
      headers: {
        "content-type": `multipart/form-data; boundary=${boundary}`,
        accept: "application/x-ndjson",
      },
      body: multipartBody(boundary, files),
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(200);
    let receivedAt = 0;
    let last: { type: string; report?: { dataset: { itemCount: number }; problems: unknown[] } } = {
      type: "",
    };
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        last = JSON.parse(buffered.slice(0, newline));
        if (last.type === "received") receivedAt = performance.now();
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
      }
    }
    const finished = performance.now();
    isSampling = false;
    await sampler;

    expect(last.type, JSON.stringify(last)).toBe("done");
    expect(last.report?.dataset.itemCount).toBe(files);
    expect(last.report?.problems).toEqual([]);
    const megabytes = (files * fileSize) / (1024 * 1024);
    const figures = {
      files,
      megabytes: Number(megabytes.toFixed(1)),
      uploadSeconds: Number(((receivedAt - started) / 1000).toFixed(2)),
      uploadMBps: Number((megabytes / ((receivedAt - started) / 1000)).toFixed(1)),
      storeSeconds: Number(((finished - receivedAt) / 1000).toFixed(2)),
      totalMBps: Number((megabytes / ((finished - started) / 1000)).toFixed(1)),
      baselineRssMB: Math.round(baseline / 2 ** 20),
      peakRssMB: Math.round(peak / 2 ** 20),
    };
    console.log(`upload memory: ${JSON.stringify(figures)}`);
    await fs.mkdir(ARTIFACTS, { recursive: true });
    await fs.writeFile(path.join(ARTIFACTS, "upload-memory.json"), `${JSON.stringify(figures, null, 2)}\n`);
    expect(peak / 2 ** 20).toBeLessThan(MAX_SERVER_RSS_MB);
  });
});
