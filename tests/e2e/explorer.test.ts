import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { unzipSync } from "fflate";
import type { Browser, Download, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { dashboardEnv, encodeWithCli, startDashboard } from "../helpers/dashboard-stack";
import { lassoLeftHalfOf } from "../helpers/explorer-lasso";
import { ROOT, type RunningProcess, waitUntil } from "../helpers/processes";
import { routeSyntheticRun, SYNTHETIC_POINTS } from "../helpers/synthetic-explorer-route";

const ARTIFACTS = path.join(ROOT, "tests", "e2e", "artifacts");
const DEMO = path.join(ROOT, "demo", "florence-vl-mini-scenes");
// The first visit computes every panel's UMAP in the worker (a few hundred points each) on a 2-core machine.
const LAYOUT_TIMEOUT_MS = 240_000;
// The panel background (scatter-renderer.ts); pixels farther than this from it are points.
const BACKGROUND_RGB = [0x16, 0x1a, 0x21];
const INK_DISTANCE = 40;

let work: string;
const processes: RunningProcess[] = [];
let browser: Browser;
let baseUrl: string;
let runId: string;
const timings: Record<string, number> = {};

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-explorer-"));
  const env = await dashboardEnv(work);
  // The demo run: the 300 held-out scenes with their manifest (captions, labels), encoded by the CLI.
  runId = await encodeWithCli(env, work, DEMO, "demo");
  const stack = await startDashboard(env);
  processes.push(...stack.processes);
  baseUrl = stack.baseUrl;
  // WebGL runs on Chromium's software rasteriser (SwiftShader): there is no GPU here.
  browser = await launchChromium();
  await fs.mkdir(ARTIFACTS, { recursive: true });
}, 900_000);

afterAll(async () => {
  await fs
    .writeFile(path.join(ARTIFACTS, "explorer-timings.json"), `${JSON.stringify(timings, null, 2)}\n`)
    .catch(() => undefined);
  await browser?.close();
  for (const p of processes) await p.stop();
  await fs.rm(work, { recursive: true, force: true });
});

/**
 * Opens a view and waits until every panel has drawn. Returns the explorer's time to first render (navigation
 * start → every panel drawn) and the part of it spent drawing (layouts received → every panel drawn), in ms.
 */
async function openExplorer(page: Page, url: string): Promise<{ firstRenderMs: number; drawMs: number }> {
  await page.goto(url);
  return renderTimes(page);
}

async function renderTimes(page: Page, mode = "images"): Promise<{ firstRenderMs: number; drawMs: number }> {
  const panels = page.locator(`[data-testid="projection-panels"][data-mode="${mode}"][data-first-render-ms]`);
  await panels.waitFor({ timeout: LAYOUT_TIMEOUT_MS });
  const firstRenderMs = Number(await panels.getAttribute("data-first-render-ms"));
  const readyMs = Number(await panels.getAttribute("data-panels-ready-ms"));
  return { firstRenderMs, drawMs: firstRenderMs - readyMs };
}

/** Per panel canvas: how many pixels are points (differ from the background) and how many are white (selected). */
async function canvasInk(page: Page): Promise<{ ink: number; white: number }[]> {
  return page.$$eval(
    '[data-testid="projection-panel"] canvas',
    (canvases, [background, distance]) =>
      canvases.map((canvas) => {
        const element = canvas as HTMLCanvasElement;
        const context = element.getContext("2d");
        if (context === null) return { ink: -1, white: -1 };
        const { data } = context.getImageData(0, 0, element.width, element.height);
        let ink = 0;
        let white = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r = 0, g = 0, b = 0] = [data[i], data[i + 1], data[i + 2]];
          const [br = 0, bg = 0, bb = 0] = background as number[];
          if (Math.abs(r - br) + Math.abs(g - bg) + Math.abs(b - bb) > (distance as number)) ink++;
          if (r > 235 && g > 235 && b > 235) white++;
        }
        return { ink, white };
      }),
    [BACKGROUND_RGB, INK_DISTANCE] as const,
  );
}

async function panelSelectedCounts(page: Page): Promise<number[]> {
  const counts = await page
    .getByTestId("projection-panel")
    .evaluateAll((panels) => panels.map((panel) => Number(panel.getAttribute("data-selected-count"))));
  return counts;
}

async function downloadOf(page: Page, testId: string): Promise<Buffer> {
  const downloaded = page.waitForEvent("download");
  await page.getByTestId(testId).click();
  const download: Download = await downloaded;
  const file = await download.path();
  return fs.readFile(file);
}

/** `source|imageId` → "x,y" from an exported CSV (x and y are the 5th and 6th columns). */
function coordinatesOf(csv: string): Map<string, string> {
  const rows = csv.trim().split("\r\n").slice(1);
  return new Map(
    rows.map((row) => {
      const [source, , imageId, , x, y] = row.split(",");
      return [`${source}|${imageId}`, `${x},${y}`];
    }),
  );
}

describe("projection explorer on the demo run", () => {
  let page: Page;
  let shareUrl: string;

  it("renders one non-empty, quality-labelled panel per source", {
    timeout: LAYOUT_TIMEOUT_MS + 60_000,
  }, async () => {
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${baseUrl}/runs/${runId}`);
    const clickedAt = Date.now();
    await page.getByTestId("explore-link").click();
    await page.waitForURL(/\/explore/);
    // The first visit includes computing every panel's UMAP in the worker; later visits find them cached.
    await renderTimes(page);
    timings.demoFirstVisitWithLayoutsMs = Date.now() - clickedAt;
    const warm = await openExplorer(page, `${baseUrl}/runs/${runId}/explore`);
    timings.demoFirstRenderMs = warm.firstRenderMs;
    timings.demoDrawMs = warm.drawMs;
    const panels = page.getByTestId("projection-panel");
    const sources = await panels.evaluateAll((all) => all.map((p) => p.getAttribute("data-source")));
    expect(sources).toEqual(expect.arrayContaining(["depth:V", "fused"]));
    expect(sources.some((s) => s?.startsWith("breadth:"))).toBe(true);
    for (const points of await panels.evaluateAll((all) =>
      all.map((p) => Number(p.getAttribute("data-points"))),
    ))
      expect(points).toBe(300);
    expect(await panels.first().textContent()).toMatch(/trustworthiness 0\.\d{3} · 10-NN recall 0\.\d{3}/);
    const ink = await canvasInk(page);
    expect(ink.length).toBe(sources.length);
    for (const panel of ink) expect(panel.ink).toBeGreaterThan(100);
    // The gallery under the panels is virtualised: all 300 images are listed, a few rows are in the DOM.
    const gallery = page.getByTestId("explorer-gallery");
    expect(await gallery.getAttribute("data-total")).toBe("300");
    const rendered = await page.getByTestId("gallery-item").count();
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(300);
    await page.screenshot({ path: path.join(ARTIFACTS, "explorer.png"), fullPage: true });
  });

  it("links a lasso in one panel to every other panel and filters the gallery", async () => {
    const lasso = await lassoLeftHalfOf(page, 0);
    timings.demoLassoMoveMs = Math.round(lasso.moveMs);
    await waitUntil(
      async () => /^\d+ selected$/.test((await page.getByTestId("selection-count").textContent()) ?? ""),
      10_000,
      "a selection",
    );
    const selectedText = (await page.getByTestId("selection-count").textContent()) ?? "";
    const selected = Number(selectedText.split(" ")[0]);
    expect(selected).toBeGreaterThan(0);
    expect(selected).toBeLessThan(300);
    const counts = await panelSelectedCounts(page);
    expect(counts.length).toBeGreaterThan(1);
    expect(new Set(counts)).toEqual(new Set([selected]));
    expect(page.url()).toMatch(/[?&]sel=/);
    // Closing the loop where it started is not a click on the point there.
    expect(await page.getByTestId("image-viewer").count()).toBe(0);
    // Every panel highlights its selected points (white) — not only the lassoed one.
    await page.waitForTimeout(300);
    for (const panel of await canvasInk(page)) expect(panel.white).toBeGreaterThan(0);
    const gallery = page.getByTestId("gallery-item");
    expect(await page.getByTestId("explorer-gallery").getAttribute("data-total")).toBe(String(selected));
    expect(await gallery.count()).toBeGreaterThan(0);
    expect(await gallery.count()).toBeLessThanOrEqual(selected);
    await expect(page.getByRole("region", { name: "Gallery" }).textContent()).resolves.toContain(
      `Selection · ${selected} images`,
    );
    await gallery.first().click();
    await page.getByTestId("image-viewer").waitFor();
    expect(page.url()).toMatch(/[?&]img=/);
    await page.keyboard.press("Escape");
    await page.getByTestId("image-viewer").waitFor({ state: "detached" });
    await page.screenshot({ path: path.join(ARTIFACTS, "explorer-lasso.png"), fullPage: true });
  });

  it("traverses points from the keyboard: arrows move, Space selects, Enter opens", async () => {
    const before = await panelSelectedCounts(page);
    const plot = page.getByTestId("panel-keyboard").first();
    await plot.focus();
    await page.keyboard.press("ArrowRight");
    const card = page.getByTestId("point-card").first();
    await card.waitFor();
    const first = await card.textContent();
    expect(first).toBeTruthy();
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowLeft");
    await waitUntil(async () => (await card.textContent()) !== first, 5_000, "the card to follow the point");
    // Space toggles the focused point in the selection, in every panel.
    await page.keyboard.press(" ");
    await waitUntil(
      async () => (await panelSelectedCounts(page)).every((n, i) => Math.abs(n - (before[i] ?? 0)) === 1),
      10_000,
      "the keyboard selection in every panel",
    );
    await page.keyboard.press(" ");
    await waitUntil(
      async () => (await panelSelectedCounts(page)).every((n, i) => n === before[i]),
      10_000,
      "the selection restored",
    );
    await page.keyboard.press("Enter");
    await page.getByTestId("image-viewer").waitFor();
    await page.keyboard.press("Escape");
    await page.getByTestId("image-viewer").waitFor({ state: "detached" });
  });

  it("shares a read-only link that reproduces the view in a fresh browser", async () => {
    await page.getByTestId("share-open").click();
    await page.getByTestId("share-create").click();
    shareUrl = await page.getByTestId("share-url").inputValue({ timeout: 10_000 });
    expect(shareUrl).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);
    await page.getByTestId("share-open").click();

    const fresh = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const shared = await fresh.newPage();
    await openExplorer(shared, shareUrl);
    expect(await shared.getByTestId("selection-count").textContent()).toBe(
      await page.getByTestId("selection-count").textContent(),
    );
    expect(await panelSelectedCounts(shared)).toEqual(await panelSelectedCounts(page));
    // Same coordinates: the data behind both figures, compared point by point.
    const own = coordinatesOf((await exportCsv(page)).toString("utf8"));
    const theirs = coordinatesOf((await exportCsv(shared)).toString("utf8"));
    expect(theirs.size).toBe(own.size);
    const keys = [...own.keys()];
    for (const key of [keys[0], keys[Math.floor(keys.length / 2)], keys.at(-1)]) {
      expect(key).toBeDefined();
      expect(theirs.get(key ?? "")).toBe(own.get(key ?? ""));
    }
    await shared.screenshot({ path: path.join(ARTIFACTS, "explorer-shared.png"), fullPage: true });
    await fresh.close();
  });

  it("exports valid PNG (2×) and SVG figures and a figure pack", async () => {
    await page.getByTestId("export-open").click();
    const svg = (await downloadOf(page, "export-svg")).toString("utf8");
    const width = Number(/^<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
    const height = Number(/^<svg[^>]* height="(\d+)"/.exec(svg)?.[1]);
    const panels = await page.getByTestId("projection-panel").count();
    const columns = Math.min(4, panels);
    expect(width).toBe(48 + columns * 300 + (columns - 1) * 20 + 20 + 220);
    expect(height).toBeGreaterThan(400);
    const isWellFormed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      return doc.querySelector("parsererror") === null && doc.documentElement.tagName === "svg";
    }, svg);
    expect(isWellFormed).toBe(true);
    expect(svg).toContain("trustworthiness");

    const png = await downloadOf(page, "export-png");
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([2 * width, 2 * height]);
    await fs.writeFile(path.join(ARTIFACTS, "explorer-figure.png"), png);

    const pack = unzipSync(new Uint8Array(await downloadOf(page, "export-pack")));
    const names = Object.keys(pack);
    expect(names).toEqual(
      expect.arrayContaining(["README.txt", "data/projections.csv", "data/selection.csv"]),
    );
    expect(names.filter((n) => n.startsWith("figures/") && n.endsWith(".png"))).toHaveLength(panels + 1);
    expect(names.some((n) => n.startsWith("thumbnails/"))).toBe(true);
    await page.getByTestId("export-open").click();
  });

  it("lights up the patches of a picked cluster on their images in patch mode", {
    timeout: LAYOUT_TIMEOUT_MS + 60_000,
  }, async () => {
    // Without a selection the patch layout takes the first 16 images: quick enough for CI.
    await page.keyboard.press("Escape");
    await page.getByTestId("mode").selectOption("patches");
    await renderTimes(page, "patches");
    const patches = Number(await page.getByTestId("projection-panel").first().getAttribute("data-points"));
    const images = await page.getByTestId("patch-image").count();
    expect(images).toBeGreaterThan(0);
    expect(patches % images).toBe(0);
    await page.getByTestId("colour-by").selectOption("cluster");
    const cluster = page.getByRole("region", { name: "Legend" }).getByRole("button", { name: /^cluster \d/ });
    await cluster.first().click();
    await waitUntil(
      async () => /^\d+ selected$/.test((await page.getByTestId("selection-count").textContent()) ?? ""),
      10_000,
      "a cluster's patches selected",
    );
    const selected = Number(((await page.getByTestId("selection-count").textContent()) ?? "").split(" ")[0]);
    expect(selected).toBeGreaterThan(0);
    const lit = await page
      .getByTestId("patch-image")
      .evaluateAll((all) => all.reduce((sum, li) => sum + Number(li.getAttribute("data-lit")), 0));
    expect(lit).toBe(selected);
    await page.screenshot({ path: path.join(ARTIFACTS, "explorer-patches.png"), fullPage: true });
    await page.getByTestId("mode").selectOption("images");
  });

  it("shows a clear page for a revoked or unknown link, revealing nothing", async () => {
    await page.getByTestId("share-open").click();
    await page.getByTestId("share-revoke").first().click();
    await page.locator('[data-testid="share-link"][data-status="revoked"]').first().waitFor();
    const fresh = await browser.newContext();
    const visitor = await fresh.newPage();
    await visitor.goto(shareUrl);
    const notice = visitor.getByTestId("link-unavailable");
    expect(await notice.getAttribute("data-reason")).toBe("revoked");
    expect(await notice.textContent()).toContain("This link has been revoked");
    const html = await visitor.content();
    expect(html).not.toContain(runId);
    expect(await visitor.getByTestId("explorer").count()).toBe(0);
    await visitor.goto(`${baseUrl}/s/${"x".repeat(43)}`);
    expect(await visitor.getByTestId("link-unavailable").getAttribute("data-reason")).toBe("unknown");
    await visitor.goto(`${baseUrl}/s/${"y".repeat(300)}`);
    expect(await visitor.getByTestId("link-unavailable").getAttribute("data-reason")).toBe("unknown");
    await fresh.close();
  });
});

async function exportCsv(page: Page): Promise<Buffer> {
  await page.getByTestId("export-open").click();
  const csv = await downloadOf(page, "export-csv");
  await page.getByTestId("export-open").click();
  return csv;
}

describe("projection explorer at scale", () => {
  it(`renders ${SYNTHETIC_POINTS.toLocaleString("en")} synthetic points and stays interactive`, {
    timeout: 240_000,
  }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await routeSyntheticRun(page, runId);
    // A real run's page (an unknown run is a 404), its analysis data replaced by the synthetic points.
    const times = await openExplorer(page, `${baseUrl}/runs/${runId}/explore`);
    timings.synthetic200kFirstRenderMs = times.firstRenderMs;
    timings.synthetic200kDrawMs = times.drawMs;
    expect(await page.getByTestId("projection-panel").first().getAttribute("data-points")).toBe(
      String(SYNTHETIC_POINTS),
    );
    const [panel] = await canvasInk(page);
    expect(panel?.ink).toBeGreaterThan(1000);
    const lasso = await lassoLeftHalfOf(page, 0);
    await waitUntil(
      async () => /^\d+ selected$/.test((await page.getByTestId("selection-count").textContent()) ?? ""),
      60_000,
      "a selection",
    );
    // Rendering is software WebGL (SwiftShader) on CI's CPUs: a GPU draws these frames in milliseconds.
    timings.synthetic200kLassoMoveMs = Math.round(lasso.moveMs);
    timings.synthetic200kSelectMs = Date.now() - lasso.releasedAt;
    expect(await page.getByTestId("image-viewer").count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, "explorer-200k.png") });
    console.log(`[explorer] time to first render: ${JSON.stringify(timings)}`);
  });
});
