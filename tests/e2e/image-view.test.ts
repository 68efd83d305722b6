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
// The explorer's first visit computes every panel's UMAP in the worker (20 points each).
const LAYOUT_TIMEOUT_MS = 120_000;

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
  await plot.scrollIntoViewIfNeeded();
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

/** Opens the run's explorer and waits until every panel has drawn. */
async function openExplorer(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/runs/${runId}/explore`);
  await page
    .locator('[data-testid="projection-panels"][data-first-render-ms]')
    .waitFor({ timeout: LAYOUT_TIMEOUT_MS });
}

async function panelSelectedCounts(page: Page): Promise<number[]> {
  return page
    .getByTestId("projection-panel")
    .evaluateAll((panels) => panels.map((panel) => Number(panel.getAttribute("data-selected-count"))));
}

describe("similar images", () => {
  it("shows the image itself first at distance 0, then its neighbours by cosine, each linked to its view", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/runs/${runId}`);
    await page.getByTestId("image-view-link").nth(2).click();
    await page.waitForURL(/\/images\/[a-z0-9]+$/);
    const imageId = page.url().split("/").at(-1) ?? "";
    const started = Date.now();
    const hits = page.getByTestId("similar-hit");
    await hits.nth(5).waitFor({ timeout: 30_000 });
    console.log(
      `[similar images] first answer in the browser: ${Date.now() - started} ms (page load included)`,
    );
    expect(await hits.count()).toBe(12);
    expect(await hits.first().getAttribute("data-image-id")).toBe(imageId);
    expect(Number(await hits.first().getAttribute("data-distance"))).toBe(0);
    const distances = await hits.evaluateAll((items) =>
      items.map((item) => Number(item.getAttribute("data-distance"))),
    );
    expect(distances.slice(1).every((d) => d > 0)).toBe(true);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    // Another source gives another neighbourhood; still the image itself first.
    await page.getByTestId("similar-source").selectOption("depth:V");
    await page.waitForURL(/sim=depth/);
    await waitUntil(
      async () =>
        (await hits.first().getAttribute("data-image-id")) === imageId && (await hits.count()) === 12,
      30_000,
      "depth:V neighbours",
    );
    await page.getByTestId("similar-images").screenshot({ path: path.join(ARTIFACTS, "similar-images.png") });
    const neighbour = (await hits.nth(1).getAttribute("data-image-id")) ?? "";
    await hits.nth(1).locator("a").click();
    await page.waitForURL(new RegExp(`/images/${neighbour}$`));
    await hits.first().waitFor();
    expect(await hits.first().getAttribute("data-image-id")).toBe(neighbour);
  }, 120_000);
});

describe("search by text before an alignment analysis", () => {
  it(
    "says there is no alignment analysis and offers to run one",
    async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await openExplorer(page);
      await page.getByTestId("text-search-input").fill("a red circle");
      await page.getByTestId("text-search-input").press("Enter");
      const notice = page.getByTestId("text-search-no-alignment");
      await notice.waitFor({ timeout: 30_000 });
      expect(await notice.getByRole("link").getAttribute("href")).toBe(`/runs/${runId}/alignment`);
      expect(await page.getByTestId("selection-count").textContent()).toBe("nothing selected");
    },
    LAYOUT_TIMEOUT_MS + 60_000,
  );
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

describe("explorer after the alignment analysis", () => {
  it(
    "search by text selects the nearest images in every panel, like a lasso",
    async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await openExplorer(page);
      await page.getByTestId("text-search-input").fill("a red circle");
      await page.getByTestId("text-search-input").press("Enter");
      const status = page.getByTestId("text-search-status");
      await waitUntil(
        async () => /nearest images/.test((await status.textContent()) ?? ""),
        MODEL_TIMEOUT_MS,
        "a text search answer",
      );
      // 50 asked, the run has 20 images: all of them, ranked; every panel lights the same selection.
      expect(await page.getByTestId("selection-count").textContent()).toBe(`${SCENES} selected`);
      await waitUntil(
        async () => (await panelSelectedCounts(page)).every((n) => n === SCENES),
        10_000,
        "panels highlight",
      );
      expect(new URL(page.url()).searchParams.get("sel")).toBeTruthy();
      await page.screenshot({ path: path.join(ARTIFACTS, "text-search.png") });
    },
    LAYOUT_TIMEOUT_MS + MODEL_TIMEOUT_MS,
  );

  it(
    "the 3D view renders the reference source and shares the selection both ways",
    async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await openExplorer(page);
      await page.getByTestId("show-3d").click();
      const scene = page.locator('[data-testid="projection-3d"] [data-plotly-figure][data-drawn="true"]');
      await scene.waitFor({ timeout: 60_000 });
      expect(await scene.getAttribute("data-points")).toBe(String(SCENES));
      expect(await scene.getAttribute("data-selected")).toBe("0");
      expect(await scene.locator("canvas").count()).toBeGreaterThan(0);
      // A legend entry selects its images in the 2D panels: the 3D view shows the same selection.
      await page.getByRole("region", { name: "Legend" }).getByRole("button").first().click();
      // The selection count updates on the next render after the click: wait for it rather than read it at once.
      const selectionCount = page.getByTestId("selection-count");
      await selectionCount.filter({ hasText: /^[1-9]\d* selected$/ }).waitFor({ timeout: 30_000 });
      const count = Number(/^(\d+) selected$/.exec((await selectionCount.textContent()) ?? "")?.[1]);
      expect(count).toBeGreaterThan(0);
      await waitUntil(
        async () => (await scene.getAttribute("data-selected")) === String(count),
        10_000,
        "3D selection",
      );
      // A click on a 3D point (plotly's click event) selects that image in every 2D panel.
      await scene.evaluate((graph) =>
        (graph as unknown as { emit: (name: string, event: unknown) => void }).emit("plotly_click", {
          points: [{ customdata: 3 }],
        }),
      );
      await waitUntil(
        async () => (await page.getByTestId("selection-count").textContent()) === "1 selected",
        10_000,
        "3D click",
      );
      expect((await panelSelectedCounts(page)).every((n) => n === 1)).toBe(true);
      await waitUntil(async () => (await scene.getAttribute("data-selected")) === "1", 10_000, "3D shows it");
      await page.getByTestId("projection-3d").screenshot({ path: path.join(ARTIFACTS, "explorer-3d.png") });
    },
    LAYOUT_TIMEOUT_MS + 60_000,
  );

  it(
    "colour by cluster names each cluster by its captions' distinguishing words, on the panels and the legend",
    async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await openExplorer(page);
      await page.getByTestId("colour-by").selectOption("cluster");
      const labels = page.getByTestId("cluster-label");
      await waitUntil(async () => (await labels.count()) >= 6, 10_000, "cluster labels on the panels");
      const texts = await labels.allTextContents();
      expect(texts.every((t) => /^cluster \d+: \p{L}+/u.test(t))).toBe(true);
      const legend = await page.getByRole("region", { name: "Legend" }).getByRole("button").allTextContents();
      expect(legend.some((t) => /cluster \d+: \p{L}+/u.test(t))).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, "explorer-clusters.png") });
    },
    LAYOUT_TIMEOUT_MS + 60_000,
  );
});
