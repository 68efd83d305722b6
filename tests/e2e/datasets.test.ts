import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { zipSync } from "fflate";
import type { Browser } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { dashboardEnv, encodeWithCli, startDashboard } from "../helpers/dashboard-stack";
import { ROOT, type RunningProcess, waitUntil } from "../helpers/processes";

const ARTIFACTS = path.join(ROOT, "tests", "e2e", "artifacts");
const DEMO = path.join(ROOT, "demo", "florence-vl-mini-scenes");

let work: string;
let dataDir: string;
const processes: RunningProcess[] = [];
let browser: Browser;
let baseUrl: string;
let demoRunId: string;
/** sha256 of every uploaded image and broken file. */
const uploadedShas: string[] = [];
const looseFiles: string[] = [];
let folder: string;

/** A distinct scene per seed: a coloured square on a coloured ground. */
async function scene(seed: number): Promise<Buffer> {
  const square = await sharp({
    create: { width: 40, height: 40, channels: 3, background: { r: 250 - seed * 9, g: 30, b: seed * 13 } },
  })
    .png()
    .toBuffer();
  return sharp({
    create: { width: 96, height: 80, channels: 3, background: { r: seed * 11, g: 200 - seed * 7, b: 90 } },
  })
    .composite([{ input: square, left: 8 + seed * 2, top: 10 + seed }])
    .png()
    .toBuffer();
}

async function filesUnder(sub: string): Promise<string[]> {
  const entries = await fs
    .readdir(path.join(dataDir, sub), { recursive: true, withFileTypes: true })
    .catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dataDir, path.join(entry.parentPath, entry.name)))
    .sort();
}

const exists = (file: string) =>
  fs.stat(path.join(dataDir, file)).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-datasets-e2e-"));
  const env = await dashboardEnv(work);
  dataDir = env.DATA_DIR ?? "";
  // The demo: a few bundled scenes encoded by the CLI; its files must outlive the uploaded dataset.
  const demoFolder = path.join(work, "demo");
  await fs.mkdir(demoFolder);
  for (const name of ["test-0000.png", "test-0001.png", "test-0002.png", "test-0003.png"])
    await fs.copyFile(path.join(DEMO, name), path.join(demoFolder, name));
  demoRunId = await encodeWithCli(env, work, demoFolder, "demo scenes");

  // 20 files: 8 loose scenes and 2 broken files, a zip of 5 scenes, a folder of 4 scenes and 1 broken file.
  const picked = path.join(work, "picked");
  folder = path.join(work, "shelf");
  await fs.mkdir(picked);
  await fs.mkdir(folder);
  const keep = async (file: string, bytes: Buffer | Uint8Array) => {
    await fs.writeFile(file, bytes);
    uploadedShas.push(createHash("sha256").update(bytes).digest("hex"));
  };
  for (let i = 0; i < 8; i++) {
    const file = path.join(picked, `scene-${i}.png`);
    await keep(file, await scene(i));
    looseFiles.push(file);
  }
  for (const [name, text] of [
    ["broken-1.png", "not a png at all"],
    ["broken-2.jpg", "\xff\xd8\xff\xe0 truncated jpeg"],
  ] as const) {
    const file = path.join(picked, name);
    await keep(file, Buffer.from(text, "latin1"));
    looseFiles.push(file);
  }
  const zipped: Record<string, Uint8Array> = {};
  for (let i = 8; i < 13; i++) {
    const bytes = await scene(i);
    uploadedShas.push(createHash("sha256").update(bytes).digest("hex"));
    zipped[`zipped/scene-${i}.png`] = new Uint8Array(bytes);
  }
  const zipFile = path.join(picked, "more.zip");
  await fs.writeFile(zipFile, zipSync(zipped));
  looseFiles.push(zipFile);
  for (let i = 13; i < 17; i++) await keep(path.join(folder, `scene-${i}.png`), await scene(i));
  await keep(path.join(folder, "broken-3.webp"), Buffer.from("RIFF....WEBP garbage"));

  const stack = await startDashboard(env);
  processes.push(...stack.processes);
  baseUrl = stack.baseUrl;
  browser = await launchChromium();
  await fs.mkdir(ARTIFACTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  for (const p of processes) await p.stop();
  await fs.rm(work, { recursive: true, force: true });
});

describe("datasets in the browser", () => {
  it("uploads files, a zip and a folder, runs on them, then deletes the run and the dataset", {
    timeout: 400_000,
  }, async () => {
    const demoFilesBefore = [
      ...(await filesUnder("images")),
      ...(await filesUnder("thumbnails")),
      ...(await filesUnder(`features/${demoRunId}`)),
    ];
    expect(demoFilesBefore.length).toBe(4 + 4 + 4);

    const page = await browser.newPage();
    await page.goto(`${baseUrl}/datasets/new`);
    await page.getByTestId("pick-files").setInputFiles(looseFiles);
    await page.getByTestId("pick-folder").setInputFiles(folder);
    // 11 picked files (the zip counts once until the server expands it) and the folder's 5.
    expect(await page.getByTestId("picked-summary").getAttribute("data-count")).toBe("16");
    await page.getByLabel("Upload a dataset").getByLabel("Dataset name").fill("my upload");
    // The upload of 20 small files is over in a blink: a MutationObserver in the page records what both bars
    // showed (client-side navigation to the dataset page keeps the window).
    await page.evaluate(() => {
      const seen = { sent: 0, total: 0, stored: 0, storeTotal: 0 };
      (window as unknown as { uploadBars: typeof seen }).uploadBars = seen;
      const read = (id: string, field: "data-value" | "data-max") =>
        Number(document.querySelector(`[data-testid="${id}"]`)?.getAttribute(field) ?? 0);
      new MutationObserver(() => {
        seen.sent = Math.max(seen.sent, read("upload-bytes", "data-value"));
        seen.total = Math.max(seen.total, read("upload-bytes", "data-max"));
        seen.stored = Math.max(seen.stored, read("upload-store", "data-value"));
        seen.storeTotal = Math.max(seen.storeTotal, read("upload-store", "data-max"));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const started = Date.now();
    await page.getByRole("button", { name: "Upload" }).click();
    await page.waitForURL(/\/datasets\/(?!new$)[a-z0-9]+$/, { timeout: 60_000 });
    const seconds = (Date.now() - started) / 1000;
    const bars = await page.evaluate(
      () =>
        (
          window as unknown as {
            uploadBars: { sent: number; total: number; stored: number; storeTotal: number };
          }
        ).uploadBars,
    );
    console.log(
      `upload of 20 files (${(bars.total / 1024).toFixed(0)} KiB) to its dataset page in ${seconds} s`,
    );
    // The byte bar reached the body's size (the files and the multipart framing); the store bar counted every
    // file the server stored, the zip's expanded.
    const folderFiles = (await fs.readdir(folder)).map((name) => path.join(folder, name));
    let fileBytes = 0;
    for (const file of [...looseFiles, ...folderFiles]) fileBytes += (await fs.stat(file)).size;
    expect(bars.total).toBeGreaterThan(fileBytes);
    expect(bars.sent).toBe(bars.total);
    expect([bars.stored, bars.storeTotal]).toEqual([20, 20]);

    await page.getByTestId("dataset-view").waitFor();
    const datasetUrl = page.url();
    expect(await page.getByTestId("image-count").getAttribute("data-count")).toBe("17");
    expect(await page.getByTestId("problem-count").getAttribute("data-count")).toBe("3");
    const problems = await page.getByTestId("dataset-problem").allTextContents();
    expect(problems).toHaveLength(3);
    for (const name of ["broken-1.png", "broken-2.jpg", "shelf/broken-3.webp"])
      expect(
        problems.some((text) => text.includes(name) && /— \S/.test(text)),
        name,
      ).toBe(true);
    await page.getByTestId("dataset-item").first().waitFor();
    const names = new Set<string>();
    await waitUntil(
      async () => {
        for (const tile of await page.getByTestId("dataset-item").all())
          names.add((await tile.getAttribute("data-file-name")) ?? "");
        await page.mouse.wheel(0, 400);
        return names.size === 20;
      },
      30_000,
      "every tile of the grid",
    );
    expect([...names].filter((name) => name.startsWith("shelf/")).length).toBe(5);
    expect([...names].filter((name) => name.startsWith("scene-")).length).toBe(13);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(ARTIFACTS, "dataset-page.png"), fullPage: false });

    // A run from the dataset page, followed to the end.
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/\/runs\/[a-z0-9]+$/);
    const runId = page.url().split("/").at(-1) ?? "";
    await waitUntil(
      async () => (await page.getByTestId("run-progress").getAttribute("data-status")) === "completed",
      240_000,
      "the run on the upload to complete",
    );
    expect(await page.getByTestId("run-progress").textContent()).toMatch(/17 encoded · 3 failed of 20/);
    expect(await filesUnder(`features/${runId}`)).toHaveLength(17);

    // Delete the run: its feature files go, the dataset's images stay.
    await page.getByTestId(`delete-run-${runId}`).click();
    await page.getByTestId("delete-run-summary").waitFor();
    expect(await page.getByTestId("delete-run-summary").textContent()).toMatch(/17 feature files/);
    await page.getByRole("button", { name: "Delete for good" }).click();
    await page.waitForURL(datasetUrl);
    expect(await exists(`features/${runId}`)).toBe(false);
    for (const sha of uploadedShas) expect(await exists(`images/${sha.slice(0, 2)}/${sha}`)).toBe(true);

    // Delete the dataset: its images and thumbnails go, the demo's files stay.
    await page.getByTestId("delete-dataset").click();
    await page.getByTestId("delete-dataset-summary").waitFor();
    expect(await page.getByTestId("delete-dataset-summary").textContent()).toMatch(
      /my upload.*20 items.*20 image file/,
    );
    await page.getByRole("button", { name: "Delete for good" }).click();
    await page.waitForURL(`${baseUrl}/`);
    for (const sha of uploadedShas) {
      expect(await exists(`images/${sha.slice(0, 2)}/${sha}`)).toBe(false);
      expect(await exists(`thumbnails/${sha.slice(0, 2)}/${sha}.webp`)).toBe(false);
    }
    const demoFilesAfter = [
      ...(await filesUnder("images")),
      ...(await filesUnder("thumbnails")),
      ...(await filesUnder(`features/${demoRunId}`)),
    ];
    expect(demoFilesAfter).toEqual(demoFilesBefore);
    expect(await filesUnder("uploads")).toEqual([]);
  });

  it("answers unknown runs, images and datasets with a 404 page and a way back", async () => {
    const page = await browser.newPage();
    for (const address of [
      "/runs/no-such-run",
      "/runs/no-such-run/explore",
      `/runs/${demoRunId}/images/no-such-image`,
      "/datasets/no-such-dataset",
    ]) {
      const response = await page.goto(`${baseUrl}${address}`);
      expect(response?.status(), address).toBe(404);
      await page.getByTestId("not-found").waitFor();
      expect(await page.getByRole("link", { name: /Back to datasets/ }).getAttribute("href")).toBe("/");
    }
  });
});
