import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { dashboardEnv, encodeWithCli, startDashboard } from "../helpers/dashboard-stack";
import { ROOT, type RunningProcess, waitUntil } from "../helpers/processes";

const ARTIFACTS = path.join(ROOT, "tests", "e2e", "artifacts");
const DEMO = path.join(ROOT, "demo", "florence-vl-mini-scenes");
// Twenty captioned scenes: enough for an alignment analysis with batches of 4 (train and held-out sets ≥ 4).
const SCENES = 20;
const BATCH_SIZE = 4;
// The run keeps V, one source per prompt (three) and the fused tokens.
const SOURCES = 5;
// Model work (attention, live answers, the alignment job) on a 2-core machine.
const MODEL_TIMEOUT_MS = 120_000;

let work: string;
const processes: RunningProcess[] = [];
let browser: Browser;
let baseUrl: string;
let runId: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-image-view-"));
  const env = await dashboardEnv(work);
  const folder = path.join(work, "scenes");
  await fs.mkdir(folder);
  const manifest = (await fs.readFile(path.join(DEMO, "manifest.jsonl"), "utf8"))
    .trim()
    .split("\n")
    .slice(0, SCENES);
  for (const line of manifest) {
    const file = (JSON.parse(line) as { file: string }).file;
    await fs.copyFile(path.join(DEMO, file), path.join(folder, file));
  }
  await fs.writeFile(path.join(folder, "manifest.jsonl"), `${manifest.join("\n")}\n`);
  runId = await encodeWithCli(env, work, folder, "image view");
  const stack = await startDashboard(env);
  processes.push(...stack.processes);
  baseUrl = stack.baseUrl;
  browser = await launchChromium();
  await fs.mkdir(ARTIFACTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  for (const p of processes) await p.stop();
  await fs.rm(work, { recursive: true, force: true });
});

async function downloadOf(figure: Locator, testId: string): Promise<Buffer> {
  const downloaded = figure.page().waitForEvent("download");
  await figure.getByTestId(testId).click();
  const file = await (await downloaded).path();
  return fs.readFile(file);
}

/** Exports a figure as SVG and PNG and checks both: SVG size and <title>, PNG at twice the SVG's CSS size. */
async function checkExports(figure: Locator): Promise<void> {
  const svg = (await downloadOf(figure, "export-svg")).toString("utf8");
  const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
  const height = Number(/<svg[^>]* height="(\d+)"/.exec(svg)?.[1]);
  expect(width).toBeGreaterThan(100);
  expect(height).toBeGreaterThan(100);
  expect(svg).toMatch(/<title>[^<]+<\/title>/);
  const png = await downloadOf(figure, "export-png");
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.toString("ascii", 12, 16)).toBe("IHDR");
  expect(png.readUInt32BE(16)).toBe(2 * width);
  expect(png.readUInt32BE(20)).toBe(2 * height);
  const csv = (await downloadOf(figure, "export-csv")).toString("utf8");
  expect(csv.trim().split("\r\n").length).toBeGreaterThan(1);
}

/** The same for a plotly figure: its SVG carries the title text and legend, its PNG is at twice its size. */
async function checkPlotlyExports(figure: Locator, title: string): Promise<void> {
  const svg = (await downloadOf(figure, "export-svg")).toString("utf8");
  const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
  const height = Number(/<svg[^>]* height="(\d+)"/.exec(svg)?.[1]);
  expect(width).toBeGreaterThan(100);
  expect(height).toBeGreaterThan(100);
  expect(svg).toContain(title);
  const png = await downloadOf(figure, "export-png");
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.readUInt32BE(16)).toBe(2 * width);
  expect(png.readUInt32BE(20)).toBe(2 * height);
  const csv = (await downloadOf(figure, "export-csv")).toString("utf8");
  expect(csv.trim().split("\r\n").length).toBeGreaterThan(1);
}

/** Hovers the middle of a plotly figure's plot area and returns the hover label's text. */
async function hoverText(figure: Locator, at: { x: number; y: number }): Promise<string> {
  const plot = figure.locator(".nsewdrag").first();
  const box = await plot.boundingBox();
  if (box === null) throw new Error("the plot area is not laid out");
  await figure.page().mouse.move(box.x + box.width * at.x, box.y + box.height * at.y);
  const label = figure.locator(".hoverlayer .hovertext").first();
  await label.waitFor();
  return (await label.textContent()) ?? "";
}

async function countDrawn(page: Page, container: string): Promise<number> {
  return page.locator(`[data-testid="${container}"] svg[data-figure]`).count();
}

describe("image view", () => {
  it("shows PCA-RGB maps, patch similarity and attention maps, keeps its state in the URL and exports figures", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/runs/${runId}`);
    await page.getByTestId("image-view-link").first().click();
    await page.waitForURL(/\/images\/[a-z0-9]+$/);
    await waitUntil(async () => (await countDrawn(page, "pca-maps")) === SOURCES, 30_000, "PCA-RGB maps");
    const firstMap = page.locator('[data-testid="pca-maps"] svg[data-figure]').first();
    expect(await firstMap.locator("image.overlay").getAttribute("href")).toMatch(/^data:image\/png;base64,/);

    // A click picks a patch: its similarity maps appear, and the pick is in the URL.
    const box = await firstMap.locator("image.overlay").boundingBox();
    if (box === null) throw new Error("no map on screen");
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForURL(/pi=\d+/);
    await waitUntil(async () => (await countDrawn(page, "similarity-maps")) > 0, 30_000, "similarity maps");
    const picked = Number(new URL(page.url()).searchParams.get("pi"));
    // Keyboard: the focused map's cursor moves with the arrow keys.
    await firstMap.focus();
    await page.keyboard.press("ArrowRight");
    await page.waitForURL((url) => Number(url.searchParams.get("pi")) === picked + 1);

    // Attention maps, one per layer, for every answer token and then for one.
    await waitUntil(
      async () => (await countDrawn(page, "attention-maps")) > 0,
      MODEL_TIMEOUT_MS,
      "attention maps",
    );
    const answerTokens = page.getByTestId("tokens-answer").getByRole("button");
    expect(await answerTokens.count()).toBeGreaterThan(1);
    await answerTokens.nth(1).click();
    await page.waitForURL(/q=answer%3A0/);
    expect(
      await page.locator('[data-testid="attention-maps"] svg[data-figure]').first().textContent(),
    ).toMatch(/mean over heads/);

    // Reloading the URL brings the same view back.
    await page.reload();
    await waitUntil(
      async () => (await countDrawn(page, "similarity-maps")) > 0,
      30_000,
      "similarity after reload",
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "image-view.png"), fullPage: true });

    await checkExports(page.getByTestId("figure").first());
  }, 300_000);

  it("answers a live question asked in the gallery", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/runs/${runId}`);
    const box = page.getByTestId("ask-box").first();
    await box.getByRole("textbox").fill("How many objects are there?");
    await box.getByRole("button", { name: "Ask" }).click();
    await box.getByTestId("ask-answer").waitFor({ timeout: MODEL_TIMEOUT_MS });
    expect(await box.getByTestId("ask-answer").textContent()).toMatch(/^A: /);
  }, 180_000);
});

describe("alignment view", () => {
  it("runs an analysis and shows its curves, ablation bars, CKA matrix and retrieval table", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/runs/${runId}/alignment?bs=${BATCH_SIZE}&steps=20`);
    await page.getByTestId("alignment-empty").waitFor();
    await page.getByTestId("request-alignment").click();
    await page.waitForURL(/job=/);
    await page.getByTestId("alignment-figures").waitFor({ timeout: MODEL_TIMEOUT_MS });
    // Every alignment chart is a plotly figure: source curves, ablation curves, ablation bars, CKA, retrieval.
    const figures = page.locator('[data-testid="alignment-figures"] [data-testid="figure"]');
    const drawn = page.locator('[data-testid="alignment-figures"] [data-plotly-figure][data-drawn="true"]');
    await drawn.nth(4).waitFor({ timeout: 30_000 });
    expect(await drawn.count()).toBe(5);
    expect(await figures.nth(0).locator("g.trace.scatter").count()).toBeGreaterThan(SOURCES - 1);
    expect(await figures.nth(2).locator("g.trace.bars path").count()).toBe(5);
    expect(await figures.nth(4).locator("g.trace.bars").count()).toBe(2);
    // Hover values: a CKA cell and an ablation bar.
    expect(await hoverText(figures.nth(3), { x: 0.5, y: 0.5 })).toMatch(/CKA \d\.\d{3}/);
    expect(await hoverText(figures.nth(2), { x: 0.2, y: 0.1 })).toMatch(/held-out loss \d+\.\d{4}/);
    // Toggling a trace from the legend hides it from the plot.
    const traces = figures.nth(0).locator("g.scatterlayer g.trace");
    const before = await traces.count();
    await figures.nth(0).locator("g.legend g.traces").first().click();
    await waitUntil(
      async () => (await traces.count()) === before - 1,
      10_000,
      "a legend click hides its trace",
    );
    expect(await page.getByTestId("retrieval-table").locator("tbody tr").count()).toBeGreaterThan(SOURCES);
    await page.screenshot({ path: path.join(ARTIFACTS, "alignment-view.png"), fullPage: true });
    await checkPlotlyExports(figures.nth(3), "Linear CKA between sources and the caption features");
    await checkPlotlyExports(figures.nth(0), "Alignment loss per visual source");
  }, 300_000);
});
