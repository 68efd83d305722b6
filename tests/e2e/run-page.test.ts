import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { dashboardEnv, encodeWithCli, startDashboard } from "../helpers/dashboard-stack";
import { ROOT, type RunningProcess, waitUntil } from "../helpers/processes";

const ARTIFACTS = path.join(ROOT, "tests", "e2e", "artifacts");
const DEMO = path.join(ROOT, "demo", "florence-vl-mini-scenes");

let work: string;
let env: NodeJS.ProcessEnv;
const processes: RunningProcess[] = [];
let browser: Browser;
let baseUrl: string;
let runId: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-run-page-"));
  env = await dashboardEnv(work);
  // Twelve demo scenes and one broken file, encoded by the CLI before the dashboard starts.
  const folder = path.join(work, "scenes");
  await fs.mkdir(folder);
  const scenes = (await fs.readdir(DEMO))
    .filter((f) => f.endsWith(".png"))
    .sort()
    .slice(0, 12);
  for (const scene of scenes) await fs.copyFile(path.join(DEMO, scene), path.join(folder, scene));
  await fs.writeFile(path.join(folder, "broken.png"), "not a png");
  runId = await encodeWithCli(env, work, folder, "e2e scenes");
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

describe("run page", () => {
  it("shows a finished run's images with their answers, region boxes and failure reasons", async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/runs/${runId}`);
    await page.getByTestId("run-progress").waitFor();
    expect(await page.getByTestId("run-progress").getAttribute("data-status")).toBe("completed");
    // The model the run was made with, as the inference server described it when the run was created.
    expect(await page.getByTestId("run-model").textContent()).toMatch(
      /^Model florence-vl-mini · bundled Lens model · fp32 weights · Lens breadth prompts · not padded to square \([0-9a-f]{8}\)$/,
    );
    await page.getByTestId("run-image").first().waitFor();
    expect(await page.getByTestId("run-gallery").getAttribute("data-total")).toBe("13");
    const first = page.locator('[data-testid="run-image"][data-status="done"]').first();
    expect(await first.textContent()).toMatch(/Caption: There (is|are)/);
    expect(await first.locator("svg rect").count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, "run-page.png"), fullPage: false });
    // The gallery is virtualised: scrolling down brings every card into the DOM in turn.
    const statuses = new Map<string, string>();
    let failedText = "";
    await waitUntil(
      async () => {
        for (const card of await page.getByTestId("run-image").all()) {
          const status = (await card.getAttribute("data-status")) ?? "";
          statuses.set((await card.getAttribute("data-image-id")) ?? "", status);
          if (status === "failed") failedText = (await card.textContent()) ?? "";
        }
        await page.mouse.wheel(0, 500);
        return statuses.size === 13;
      },
      60_000,
      "every card after scrolling",
    );
    expect([...statuses.values()].filter((s) => s === "done").length).toBe(12);
    expect(failedText).toMatch(/broken\.png/);
  });

  it("starts a run from the home page and follows its live progress to the end", {
    timeout: 300_000,
  }, async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl);
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/\/runs\/[a-z0-9]+$/);
    const seen = new Set<string>();
    await waitUntil(
      async () => {
        const status = await page
          .getByTestId("run-progress")
          .getAttribute("data-status")
          .catch(() => null);
        if (status) seen.add(status);
        return status === "completed";
      },
      240_000,
      "the new run to complete",
    );
    expect(seen.has("completed")).toBe(true);
    expect(await page.getByTestId("run-progress").textContent()).toMatch(/12 encoded · 1 failed of 13/);
  });
});
