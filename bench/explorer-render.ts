/**
 * `npm run bench:explorer`: time to first render of the projection explorer (navigation start → every panel drawn,
 * as the page reports it in `data-first-render-ms`) for synthetic runs of 25,000 to 200,000 points, in Debian's
 * Chromium (software WebGL: no GPU here), against a baseline measured in the same browser and run: the same points
 * drawn on a Canvas 2D of the panel's pixel size (one path per colour, as a careful non-WebGL plot would).
 * Needs `next build` first. Writes bench/results/explorer-render.json. Medians of repeated runs; this machine is noisy.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { createDb } from "~/server/store/db";
import { launchChromium } from "../tests/helpers/browser";
import { dashboardEnv, startDashboard } from "../tests/helpers/dashboard-stack";
import { ROOT } from "../tests/helpers/processes";
import { createSyntheticAnalysisRun } from "../tests/helpers/synthetic-analysis-run";
import { routeSyntheticRun } from "../tests/helpers/synthetic-explorer-route";
import { median } from "./median";

const RESULTS = path.join(ROOT, "bench", "results", "explorer-render.json");
const SIZES = [25_000, 50_000, 100_000, 200_000];
const REPEATS = 3;
const BLOBS = 8;

/** One explorer visit: first render (navigation → drawn) and its drawing part (layouts received → drawn), ms. */
async function explorerVisit(page: Page, url: string): Promise<{ firstRenderMs: number; drawMs: number }> {
  await page.goto(url);
  const panels = page.locator('[data-testid="projection-panels"][data-first-render-ms]');
  await panels.waitFor({ timeout: 120_000 });
  const firstRenderMs = Number(await panels.getAttribute("data-first-render-ms"));
  const readyMs = Number(await panels.getAttribute("data-panels-ready-ms"));
  return { firstRenderMs, drawMs: firstRenderMs - readyMs };
}

/** The baseline: `points` seeded points in eight blobs drawn as small discs on a 2-D canvas of `size` px. */
async function canvas2dDrawMs(page: Page, points: number, size: number): Promise<number> {
  return page.evaluate(
    ([n, px, blobs]) => {
      // No named helper functions in here: tsx would wrap them in a helper the browser does not have.
      let seed = 7;
      const xs = new Float32Array(n);
      const ys = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const angle = (2 * Math.PI * (i % blobs)) / blobs;
        seed = (seed * 1664525 + 1013904223) >>> 0;
        xs[i] = px / 2 + (px / 3) * Math.cos(angle) + (seed / 2 ** 32 - 0.5) * (px / 6);
        seed = (seed * 1664525 + 1013904223) >>> 0;
        ys[i] = px / 2 + (px / 3) * Math.sin(angle) + (seed / 2 ** 32 - 0.5) * (px / 6);
      }
      const canvas = document.createElement("canvas");
      canvas.width = px;
      canvas.height = px;
      document.body.append(canvas);
      const context = canvas.getContext("2d");
      if (context === null) throw new Error("no 2-D context");
      const started = performance.now();
      context.fillStyle = "#161a21";
      context.fillRect(0, 0, px, px);
      for (let blob = 0; blob < blobs; blob++) {
        context.beginPath();
        for (let i = blob; i < n; i += blobs) {
          context.moveTo((xs[i] ?? 0) + 1.5, ys[i] ?? 0);
          context.arc(xs[i] ?? 0, ys[i] ?? 0, 1.5, 0, 2 * Math.PI);
        }
        context.fillStyle = `hsl(${(360 * blob) / blobs} 70% 60%)`;
        context.fill();
      }
      context.getImageData(0, 0, 1, 1); // waits for the drawing to finish
      const elapsed = performance.now() - started;
      canvas.remove();
      return elapsed;
    },
    [points, size, BLOBS] as const,
  );
}

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "bench-explorer-"));
  const env = await dashboardEnv(work);
  const stack = await startDashboard(env);
  // The explorer page needs a real run (an unknown one is a 404); its analysis data is the synthetic points.
  const db = createDb(`file:${path.join(env.DATA_DIR ?? "", "lens.db")}`);
  const { runId } = await createSyntheticAnalysisRun({
    db,
    name: "bench explorer",
    images: 1,
    clusters: 1,
    sources: [{ name: "synthetic", dim: 4, kind: "noise" }],
  });
  await db.$disconnect();
  const browser = await launchChromium();
  const rows = [];
  try {
    for (const points of SIZES) {
      const visits = [];
      const baseline = [];
      for (let r = 0; r < REPEATS; r++) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        await routeSyntheticRun(page, points);
        visits.push(await explorerVisit(page, `${stack.baseUrl}/runs/${runId}/explore`));
        const size = await page
          .locator('[data-testid="projection-panel"] canvas')
          .first()
          .evaluate((c) => {
            return (c as HTMLCanvasElement).width;
          });
        baseline.push(await canvas2dDrawMs(page, points, size));
        await page.close();
      }
      const drawMs = median(visits.map((v) => v.drawMs));
      const canvas2d = median(baseline);
      rows.push({
        points,
        first_render_ms: median(visits.map((v) => v.firstRenderMs)),
        draw_ms: drawMs,
        baseline_canvas2d_draw_ms: canvas2d,
        draw_speedup_vs_canvas2d: canvas2d / drawMs,
      });
      console.log(JSON.stringify(rows.at(-1)));
    }
  } finally {
    await browser.close();
    for (const p of stack.processes) await p.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
  const result = {
    sizes: rows,
    settings: {
      repeats: REPEATS,
      statistic: "median",
      browser: "Debian chromium, software WebGL",
      cpus: os.cpus().length,
    },
  };
  await fs.mkdir(path.dirname(RESULTS), { recursive: true });
  await fs.writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

void main();
