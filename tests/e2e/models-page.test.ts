import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
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
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "lens-e2e-models-"));
  await fs.mkdir(ARTIFACTS, { recursive: true });
  // The bundled models folder as it ships: Florence-VL-mini (the default) and the contrastive miniature.
  const env = {
    DATA_DIR: dataDir,
    PORT: String(await getFreePort()),
    INFERENCE_PORT: String(await getFreePort()),
    MODELS_DIR: path.join(ROOT, "models"),
    INFERENCE_MEMORY_MB: "64",
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

describe("models page", () => {
  it("lists the bundled Florence-VL-mini and the contrastive miniature with their format, sources and state", async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Models" }).click();
    await page.waitForURL(`${baseUrl}/models`);
    const florence = page.locator('tr[data-model="florence-vl-mini"]');
    const contrastive = page.locator('tr[data-model="contrastive-mini"]');
    await florence.waitFor({ timeout: 60_000 });
    await contrastive.waitFor({ timeout: 60_000 });
    const cells = async (row: typeof florence) =>
      (await row.locator("td").allTextContents()).map((t) => t.trim());

    const [name, format, size, sources, attention, languageModel, loaded] = await cells(florence);
    expect(name).toBe("florence-vl-mini (default)");
    expect(format).toMatch(/^Florence-VL fp32/);
    expect(size).toMatch(/^\d+\.\d MB$/);
    expect(sources).toContain("depth:V");
    expect(sources).toContain("fused");
    expect(attention).not.toBe("none");
    expect(languageModel).toBe("yes");
    // The default model is loaded at start; its weights are what the server holds.
    expect(loaded).toMatch(/^yes · \d+\.\d MB$/);

    const encoder = await cells(contrastive);
    expect(encoder.slice(0, 2)).toEqual(["contrastive-mini", "clip fp32"]);
    expect(encoder.slice(3)).toEqual(["encoder:clip", "none", "no", "no"]);
    await expect(page.getByTestId("models-memory").textContent()).resolves.toMatch(/of 64\.0 MB/);
    await page.screenshot({ path: path.join(ARTIFACTS, "models-page.png") });
  }, 120_000);
});
