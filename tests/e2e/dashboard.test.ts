import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "~/server/store/migrate";
import { launchChromium } from "../helpers/browser";
import { getFreePort, isServing, ROOT, type RunningProcess, startBin, waitUntil } from "../helpers/processes";

const ARTIFACTS = path.join(ROOT, "tests", "e2e", "artifacts");

let dataDir: string;
let inference: RunningProcess;
let web: RunningProcess;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "lens-e2e-"));
  await fs.mkdir(ARTIFACTS, { recursive: true });
  const env = {
    DATA_DIR: dataDir,
    PORT: String(await getFreePort()),
    INFERENCE_PORT: String(await getFreePort()),
    NEXT_TELEMETRY_DISABLED: "1",
  };
  await applyMigrations({ databaseUrl: `file:${path.join(dataDir, "lens.db")}`, cwd: ROOT });
  inference = startBin("tsx", ["server/inference/main.ts"], env);
  web = startBin("next", ["start", "-H", "127.0.0.1", "-p", env.PORT], env);
  baseUrl = `http://127.0.0.1:${env.PORT}`;
  await waitUntil(() => isServing(`http://127.0.0.1:${env.INFERENCE_PORT}`), 60_000, "inference server");
  await waitUntil(() => isServing(baseUrl), 60_000, `next start (${web.output()})`);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await inference?.stop();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function statusOf(page: Page): Promise<string | null> {
  return page.getByTestId("inference-status").getAttribute("data-status");
}

describe("dashboard shell", () => {
  it("shows the catalog's empty states and the inference server live, then notices when it stops", async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl);
    await expect(page.title()).resolves.toBe("Florence-VL Lens");
    await expect(page.getByTestId("datasets-panel").textContent()).resolves.toMatch(/No datasets yet/);
    await expect(page.getByTestId("runs-panel").textContent()).resolves.toMatch(/No runs yet/);

    await waitUntil(async () => (await statusOf(page)) === "up", 30_000, "the UI to report the server up");
    const upText = await page.getByTestId("inference-status").textContent();
    expect(upText).toMatch(
      /Inference server up · cpu · ORT \d+\.\d+\.\d+ · model loaded \(florence-vl-mini, fp32\)/,
    );
    expect(await page.getByTestId("inference-status").getAttribute("data-model")).toMatch(
      /^florence-vl-mini · bundled Lens model · fp32 weights/,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-up.png") });

    await inference.stop();
    await waitUntil(
      async () => (await statusOf(page)) === "down",
      30_000,
      "the UI to report the server down",
    );
    expect(await page.getByTestId("inference-status").textContent()).toMatch(
      /Inference server down \(not reachable\)/,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-down.png") });
  });
});
