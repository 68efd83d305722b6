import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkUrlStateBox, launchChromium } from "../helpers/browser";
import { dashboardEnv, encodeWithCli, startDashboard } from "../helpers/dashboard-stack";
import { copyDemoScenes } from "../helpers/demo-scenes";
import { lassoLeftHalfOf } from "../helpers/explorer-lasso";
import { ROOT, type RunningProcess, waitUntil } from "../helpers/processes";

// Issue 20: panels of two runs of one dataset side by side — demo scenes encoded by Florence-VL-mini and by the
// contrastive miniature (a CLIP-layout vision encoder, source encoder:clip) — aligned by image, lasso-linked.
const ARTIFACTS = path.join(ROOT, "tests", "e2e", "artifacts");
const CONTRASTIVE = path.join(ROOT, "models", "contrastive-mini");
const SCENES = 24;
// PCA layouts of a few dozen points, computed by the worker on a loaded 2-core machine.
const LAYOUT_TIMEOUT_MS = 240_000;

let work: string;
const processes: RunningProcess[] = [];
let browser: Browser;
let baseUrl: string;
let florenceRunId: string;
let clipRunId: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-explorer-runs-"));
  const env = { ...(await dashboardEnv(work)), MODELS_DIR: path.join(ROOT, "models") };
  const folder = await copyDemoScenes(work, SCENES);
  florenceRunId = await encodeWithCli(env, work, folder, "florence scenes");
  const stack = await startDashboard(env);
  processes.push(...stack.processes);
  baseUrl = stack.baseUrl;
  // The second run on the same dataset, as the dashboard makes one (runs.create), encoded by its worker.
  const florence = (await trpcCall("runs.get", "GET", { runId: florenceRunId })) as { datasetId: string };
  const created = (await trpcCall("runs.create", "POST", {
    datasetId: florence.datasetId,
    model: path.basename(CONTRASTIVE),
    name: "contrastive scenes",
  })) as { id: string };
  clipRunId = created.id;
  await waitUntil(
    async () =>
      ((await trpcCall("runs.get", "GET", { runId: clipRunId })) as { status: string }).status ===
      "completed",
    LAYOUT_TIMEOUT_MS,
    "the contrastive run to be encoded",
  );
  browser = await launchChromium();
  await fs.mkdir(ARTIFACTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  for (const p of processes) await p.stop();
  await fs.rm(work, { recursive: true, force: true });
});

/** One tRPC call over HTTP, as the dashboard's pages make it (superjson; mutations from the same origin). */
async function trpcCall(name: string, method: "GET" | "POST", input: unknown): Promise<unknown> {
  const encoded = JSON.stringify(superjson.serialize(input));
  const response =
    method === "GET"
      ? await fetch(`${baseUrl}/api/trpc/${name}?input=${encodeURIComponent(encoded)}`)
      : await fetch(`${baseUrl}/api/trpc/${name}`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: baseUrl },
          body: encoded,
        });
  const body = (await response.json()) as { result?: { data: never }; error?: unknown };
  if (!response.ok || body.result === undefined) throw new Error(`${name}: ${JSON.stringify(body.error)}`);
  return superjson.deserialize(body.result.data);
}

async function panelsDrawn(page: Page, count: number): Promise<void> {
  await page
    .locator('[data-testid="projection-panels"][data-first-render-ms]')
    .waitFor({ timeout: LAYOUT_TIMEOUT_MS });
  await waitUntil(
    async () => (await page.getByTestId("projection-panel").count()) === count,
    LAYOUT_TIMEOUT_MS,
    `${count} panels`,
  );
}

async function selectedCounts(page: Page): Promise<number[]> {
  return page
    .getByTestId("projection-panel")
    .evaluateAll((panels) => panels.map((panel) => Number(panel.getAttribute("data-selected-count"))));
}

describe("explorer with panels from two runs", () => {
  it("shows a Florence panel and a CLIP panel side by side with a linked lasso", {
    timeout: 600_000,
  }, async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${baseUrl}/runs/${florenceRunId}/explore?m=pca&src=fused`);
    await panelsDrawn(page, 1);
    // The panel picker lists the other run of the dataset with its source.
    await page.getByTestId("panel-picker").locator("summary").click();
    const other = page.locator(`[data-testid="compare-run"][data-run-id="${clipRunId}"]`);
    expect(await other.textContent()).toContain("contrastive scenes");
    await checkUrlStateBox(other.locator('[data-testid="compare-source"][data-source="encoder:clip"]'));
    await page.getByTestId("panel-picker").locator("summary").click();
    await panelsDrawn(page, 2);
    const titles = await page
      .getByTestId("projection-panel")
      .evaluateAll((panels) => panels.map((panel) => panel.getAttribute("data-source")));
    expect(titles).toEqual(["fused", "contrastive scenes · encoder:clip"]);
    const points = await page
      .getByTestId("projection-panel")
      .evaluateAll((panels) => panels.map((panel) => Number(panel.getAttribute("data-points"))));
    expect(points).toEqual([SCENES, SCENES]);
    expect(page.url()).toContain(`cr=${clipRunId}`);

    // A lasso in the Florence panel selects the same images in the CLIP panel.
    await lassoLeftHalfOf(page, 0);
    await waitUntil(
      async () => /^\d+ selected$/.test((await page.getByTestId("selection-count").textContent()) ?? ""),
      10_000,
      "a selection",
    );
    const selected = Number(((await page.getByTestId("selection-count").textContent()) ?? "").split(" ")[0]);
    expect(selected).toBeGreaterThan(0);
    expect(selected).toBeLessThan(SCENES);
    await waitUntil(
      async () => (await selectedCounts(page)).every((n) => n === selected),
      10_000,
      "the selection in both panels",
    );
    // And back: a lasso in the CLIP panel is the selection in the Florence panel too (around the whole panel: the
    // panels share one frame, so the CLIP points may all lie right of its centre line).
    await page.keyboard.press("Escape");
    await waitUntil(
      async () => (await page.getByTestId("selection-count").textContent()) === "nothing selected",
      10_000,
      "the selection cleared",
    );
    await lassoLeftHalfOf(page, 1, 1);
    await waitUntil(
      async () => /^\d+ selected$/.test((await page.getByTestId("selection-count").textContent()) ?? ""),
      10_000,
      "a selection from the CLIP panel",
    );
    const fromClip = Number(((await page.getByTestId("selection-count").textContent()) ?? "").split(" ")[0]);
    expect(fromClip).toBe(SCENES);
    await waitUntil(
      async () => (await selectedCounts(page)).every((n) => n === fromClip),
      10_000,
      "the CLIP selection in both panels",
    );
    expect(await page.getByTestId("explorer-gallery").getAttribute("data-total")).toBe(String(fromClip));
    await page.screenshot({ path: path.join(ARTIFACTS, "explorer-two-runs.png"), fullPage: true });
  });
});
