/**
 * `npm run bench:explorer`: the projection explorer on synthetic runs of 25,000 to 1,000,000 points, in Debian's
 * Chromium (software WebGL, SwiftShader: no GPU here), against a baseline measured in the same browser and run:
 * the same points drawn on a Canvas 2D of the panel's pixel size (one path per colour, as a careful non-WebGL
 * plot would).
 * - first render: navigation start → every panel drawn, as the page reports it in `data-first-render-ms`, and
 *   its drawing part (binary panels received → drawn);
 * - from 200,000 points: a lasso loop (mean time per pointer move) and release → the selection count shown
 *   (timed in the page, see `lassoTimes`);
 * - the tab's memory once drawn: the renderer's JS heap (CDP Performance.getMetrics JSHeapUsedSize) and the
 *   resident memory of the renderer and GPU processes (/proc VmRSS of the browser's children; SwiftShader's
 *   buffers live in the GPU process). performance.measureUserAgentSpecificMemory needs cross-origin isolation,
 *   which the app does not set, so it is not used.
 * Needs `next build` first. Writes bench/results/explorer-render.json. Medians of repeated rounds; this machine
 * is noisy and shared, so the load average is recorded with the figures.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb } from "~/server/store/db";
import { launchChromium } from "../tests/helpers/browser";
import { dashboardEnv, startDashboard } from "../tests/helpers/dashboard-stack";
import { lassoLeftHalfOf } from "../tests/helpers/explorer-lasso";
import { ROOT } from "../tests/helpers/processes";
import { createSyntheticAnalysisRun } from "../tests/helpers/synthetic-analysis-run";
import { routeSyntheticRun } from "../tests/helpers/synthetic-explorer-route";
import { createMigratedDatabase } from "../tests/helpers/test-database";
import { median } from "./median";

const RESULTS = path.join(ROOT, "bench", "results", "explorer-render.json");
const SIZES = (process.env.BENCH_EXPLORER_SIZES ?? "25000,50000,100000,200000,1000000")
  .split(",")
  .map(Number);
const REPEATS = Number(process.env.BENCH_EXPLORER_REPEATS ?? 3);
// Interaction (lasso) and memory are measured from this size up.
const INTERACTIVE_FROM = 200_000;
const BLOBS = 8;
const MIB = 1024 * 1024;

/** One explorer visit: first render (navigation → drawn) and its drawing part (panels received → drawn), ms. */
async function explorerVisit(page: Page, url: string): Promise<{ firstRenderMs: number; drawMs: number }> {
  await page.goto(url);
  const panels = page.locator('[data-testid="projection-panels"][data-first-render-ms]');
  await panels.waitFor({ timeout: 120_000 });
  const firstRenderMs = Number(await panels.getAttribute("data-first-render-ms"));
  const readyMs = Number(await panels.getAttribute("data-panels-ready-ms"));
  return { firstRenderMs, drawMs: firstRenderMs - readyMs };
}

/**
 * A lasso around the left half of the panel: mean ms per pointer move, and release → "N selected" shown. The
 * release is timed in the page, from the pointer's release to the frame that paints the count (a mutation of the
 * count's text, then the next animation frame), so it leaves out the driver's round trips: timed from here, it would
 * also hold the helper's move off the panel after the release, which waits for the page's next WebGL frame. That
 * round trip is recorded beside it.
 */
async function lassoTimes(
  page: Page,
): Promise<{ moveMs: number; releaseMs: number; roundTripMs: number; selected: number }> {
  await page.evaluate(() => {
    const count = document.querySelector('[data-testid="selection-count"]');
    if (count === null) throw new Error("no selection count");
    let releasedAt: number | null = null;
    window.addEventListener(
      "pointerup",
      () => {
        releasedAt = performance.now();
      },
      { capture: true, once: true },
    );
    (window as unknown as { benchRelease: Promise<number> }).benchRelease = new Promise((resolve) => {
      new MutationObserver((_, observer) => {
        const at = releasedAt;
        if (at === null || !/^\d+ selected$/.test(count.textContent ?? "")) return;
        observer.disconnect();
        requestAnimationFrame(() => resolve(performance.now() - at));
      }).observe(count, { childList: true, characterData: true, subtree: true });
    });
  });
  const lasso = await lassoLeftHalfOf(page, 0);
  await page.waitForFunction(
    () => /^\d+ selected$/.test(document.querySelector('[data-testid="selection-count"]')?.textContent ?? ""),
    undefined,
    { polling: "raf", timeout: 60_000 },
  );
  const roundTripMs = Date.now() - lasso.releasedAt;
  const releaseMs = await page.evaluate(
    () => (window as unknown as { benchRelease: Promise<number> }).benchRelease,
  );
  const text = (await page.getByTestId("selection-count").textContent()) ?? "";
  return { moveMs: lasso.moveMs, releaseMs, roundTripMs, selected: Number(text.split(" ")[0]) };
}

/** Resident memory (MiB) of the browser's renderer and GPU processes: this node process's descendants. */
async function processMemoryMib(): Promise<{ renderer: number; gpu: number }> {
  const parentOf = new Map<number, number>();
  const stats = new Map<number, { cmdline: string; rssKib: number }>();
  for (const entry of await fs.readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8");
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      const status = await fs.readFile(`/proc/${pid}/status`, "utf8");
      const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ");
      stats.set(pid, { cmdline, rssKib: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) });
    } catch {
      // The process ended while being read.
    }
  }
  const isOurs = (pid: number): boolean => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p))
      if (p === process.pid) return true;
    return false;
  };
  let renderer = 0;
  let gpu = 0;
  for (const [pid, { cmdline, rssKib }] of stats) {
    if (!isOurs(pid)) continue;
    if (cmdline.includes("--type=renderer")) renderer += rssKib;
    if (cmdline.includes("--type=gpu-process")) gpu += rssKib;
  }
  return { renderer: renderer / 1024, gpu: gpu / 1024 };
}

async function tabMemory(
  page: Page,
): Promise<{ jsHeapMib: number; rendererRssMib: number; gpuRssMib: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  await cdp.detach();
  const heap = metrics.find((metric) => metric.name === "JSHeapUsedSize")?.value ?? 0;
  const rss = await processMemoryMib();
  return { jsHeapMib: heap / MIB, rendererRssMib: rss.renderer, gpuRssMib: rss.gpu };
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

async function measureSize(browser: Browser, baseUrl: string, runId: string, points: number) {
  const visits = [];
  const baseline = [];
  const lassos = [];
  const memory = [];
  for (let r = 0; r < REPEATS; r++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await routeSyntheticRun(page, runId, points);
    visits.push(await explorerVisit(page, `${baseUrl}/runs/${runId}/explore`));
    const drawn = Number(await page.getByTestId("projection-panel").first().getAttribute("data-points"));
    if (drawn !== points) throw new Error(`the panel shows ${drawn} points, not ${points}`);
    if (points >= INTERACTIVE_FROM) {
      memory.push(await tabMemory(page));
      lassos.push(await lassoTimes(page));
    }
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
  return {
    points,
    first_render_ms: median(visits.map((v) => v.firstRenderMs)),
    first_render_rounds_ms: visits.map((v) => v.firstRenderMs),
    draw_ms: drawMs,
    baseline_canvas2d_draw_ms: canvas2d,
    draw_speedup_vs_canvas2d: canvas2d / drawMs,
    ...(lassos.length > 0
      ? {
          lasso_move_ms: median(lassos.map((l) => l.moveMs)),
          lasso_release_to_selection_ms: median(lassos.map((l) => l.releaseMs)),
          lasso_release_round_trip_ms: median(lassos.map((l) => l.roundTripMs)),
          lasso_selected_points: median(lassos.map((l) => l.selected)),
          tab_js_heap_mib: median(memory.map((m) => m.jsHeapMib)),
          renderer_rss_mib: median(memory.map((m) => m.rendererRssMib)),
          gpu_process_rss_mib: median(memory.map((m) => m.gpuRssMib)),
        }
      : {}),
  };
}

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "bench-explorer-"));
  const env = await dashboardEnv(work);
  // A migrated database first, so the dashboard's processes and the fixture below find the same one.
  const dataDir = env.DATA_DIR ?? path.join(work, "data");
  await ensureDataDir(dataDir);
  const database = await createMigratedDatabase(dataDir);
  const stack = await startDashboard({ ...env, DATABASE_URL: database.url });
  // The explorer page needs a real run (an unknown one is a 404); its analysis data is the synthetic points.
  const db = createDb(database.url);
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
  const loadBefore = os.loadavg()[0];
  try {
    for (const points of SIZES) {
      rows.push(await measureSize(browser, stack.baseUrl, runId, points));
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
      browser: "Debian chromium --headless --disable-gpu, software WebGL (SwiftShader)",
      memory:
        "JS heap: CDP Performance.getMetrics JSHeapUsedSize after a GC; RSS: /proc VmRSS of renderer and GPU processes",
      cpus: os.cpus().length,
      load_average_1m: { before: loadBefore, after: os.loadavg()[0] },
    },
  };
  await fs.mkdir(path.dirname(RESULTS), { recursive: true });
  await fs.writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

void main();
