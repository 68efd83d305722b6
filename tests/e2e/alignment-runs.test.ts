import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkUrlStateBox, launchChromium } from "../helpers/browser";
import { dashboardEnv, encodeWithCli, startDashboard } from "../helpers/dashboard-stack";
import { copyDemoScenes } from "../helpers/demo-scenes";
import { ROOT, type RunningProcess, waitUntil } from "../helpers/processes";

// Issue 20, the paper's Fig. 4 in the dashboard: demo scenes encoded by Florence-VL-mini and by the contrastive
// miniature (a CLIP-layout vision encoder), compared in the Florence run's alignment view.
const ARTIFACTS = path.join(ROOT, "tests", "e2e", "artifacts");
// A model folder under MODELS_DIR, named as the models page names it.
const CONTRASTIVE_MODEL = "contrastive-mini";
// Twenty captioned scenes: batches of 4 fit the training and the held-out set.
const SCENES = 20;
const BATCH_SIZE = 4;
// Caption features and probes for both runs' sources on a 2-core machine.
const MODEL_TIMEOUT_MS = 180_000;

let work: string;
const processes: RunningProcess[] = [];
let browser: Browser;
let baseUrl: string;
let florenceRunId: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-alignment-runs-"));
  const env = { ...(await dashboardEnv(work)), MODELS_DIR: path.join(ROOT, "models") };
  const folder = await copyDemoScenes(work, SCENES);
  florenceRunId = await encodeWithCli(env, work, folder, "florence scenes");
  const stack = await startDashboard(env);
  processes.push(...stack.processes);
  baseUrl = stack.baseUrl;
  // The second run of the same dataset, as the dashboard makes it: the contrastive miniature, encoded by the worker.
  const { datasetId } = await callApi<{ datasetId: string }>("query", "runs.get", { runId: florenceRunId });
  const created = await callApi<{ id: string }>("mutation", "runs.create", {
    datasetId,
    model: CONTRASTIVE_MODEL,
    name: "contrastive scenes",
  });
  await waitUntil(
    async () =>
      (await callApi<{ status: string }>("query", "runs.get", { runId: created.id })).status === "completed",
    MODEL_TIMEOUT_MS,
    "the contrastive run",
  );
  browser = await launchChromium();
  await fs.mkdir(ARTIFACTS, { recursive: true });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  for (const p of processes) await p.stop();
  await fs.rm(work, { recursive: true, force: true });
});

/** One tRPC call over HTTP (superjson's envelope), as the browser makes it; access control is off. */
async function callApi<T>(kind: "query" | "mutation", procedure: string, input: unknown): Promise<T> {
  const url = `${baseUrl}/api/trpc/${procedure}`;
  const response =
    kind === "query"
      ? await fetch(`${url}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
      : await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ json: input }),
        });
  const body = (await response.json()) as { result?: { data: { json: T } }; error?: unknown };
  if (body.result === undefined) throw new Error(`${procedure}: ${JSON.stringify(body.error)}`);
  return body.result.data.json;
}

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

describe("cross-run alignment view", () => {
  it(
    "compares the Florence run with the contrastive run: both encoders' curves, table rows and their CKA",
    async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${baseUrl}/runs/${florenceRunId}/alignment?bs=${BATCH_SIZE}&steps=20`);
      await page.getByTestId("alignment-empty").waitFor();
      // The run picker lists the dataset's other run, a vision encoder without a language model.
      const picker = page.getByTestId("comparison-runs");
      expect(await picker.textContent()).toMatch(
        /contrastive scenes\s*contrastive-mini · vision encoder · 20 images/,
      );
      await checkUrlStateBox(page.getByTestId("compare-contrastive scenes"));
      await page.waitForURL(/compare=/);
      await page.getByTestId("request-alignment").click();
      await page.waitForURL(/job=/);
      await page.getByTestId("alignment-figures").waitFor({ timeout: MODEL_TIMEOUT_MS });

      const figures = page.locator('[data-testid="alignment-figures"] [data-testid="figure"]');
      const drawn = page.locator('[data-testid="alignment-figures"] [data-plotly-figure][data-drawn="true"]');
      // Curves of both runs' sources, the Florence run's ablation curves and bars, CKA, retrieval.
      await drawn.nth(4).waitFor({ timeout: 30_000 });
      const legend = (await figures.nth(0).locator("g.legend text.legendtext").allTextContents()).join("\n");
      expect(legend).toContain("florence-vl-mini · depth:V");
      expect(legend).toContain("florence-vl-mini · fused");
      expect(legend).toContain("contrastive-mini · encoder:clip");
      // Five Florence sources (V, three prompts, fused), the raw concatenation and the encoder, plus chance.
      expect(await figures.nth(0).locator("g.scatterlayer g.trace").count()).toBe(8);

      const rows = await page
        .getByTestId("retrieval-table")
        .locator("tbody tr td:first-child")
        .allTextContents();
      expect(rows).toContain("contrastive-mini · encoder:clip");
      expect(rows).toContain("florence-vl-mini · fused");

      // The CKA matrix spans both runs' sources: the encoder's row against Florence's fused features.
      const cka = figures.nth(3);
      const ticks = await cka.locator("g.xtick text").allTextContents();
      expect(ticks).toContain("contrastive-mini · encoder:clip");
      expect(ticks).toContain("florence-vl-mini · fused");
      expect(await hoverText(cka, { x: 0.5, y: 0.5 })).toMatch(/ · .*\n?CKA \d\.\d{3}/);
      await page.screenshot({ path: path.join(ARTIFACTS, "alignment-runs.png"), fullPage: true });
    },
    MODEL_TIMEOUT_MS + 60_000,
  );
});
