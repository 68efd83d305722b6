/**
 * Access control in Chromium (issue 19), on the real stack with AUTH=on: the first administrator is made with the
 * CLI, signs in and adds a member; the member signs in, starts a run, opens its explorer and shares the view; the
 * link opens in a fresh browser without signing in; after the member revokes it, the same link shows the revoked
 * page. Every page is checked for Content-Security-Policy violations.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser";
import { dashboardEnv, encodeWithCli, startDashboard } from "../helpers/dashboard-stack";
import { ROOT, type RunningProcess, waitUntil } from "../helpers/processes";

const ARTIFACTS = path.join(ROOT, "tests", "e2e", "artifacts");
const DEMO = path.join(ROOT, "demo", "florence-vl-mini-scenes");
const LAYOUT_TIMEOUT_MS = 240_000;
const ADMIN = { email: "admin@lab.test", password: "admin-password-1" };
const MEMBER = { email: "member@lab.test", password: "member-password-1" };

let work: string;
let env: NodeJS.ProcessEnv;
const processes: RunningProcess[] = [];
let browser: Browser;
let baseUrl: string;
let datasetId: string;
// Images are stored by content: the sha256 of a scene file is its address under /api/images.
let sceneSha256: string;
const cspViolations: string[] = [];

/** A browser context that records every CSP violation its pages report. */
async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.exposeBinding("reportCspViolation", (_source, text: string) => {
    cspViolations.push(text);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      (window as unknown as { reportCspViolation: (text: string) => void }).reportCspViolation(
        `${event.violatedDirective} ${event.blockedURI} on ${location.pathname}`,
      );
    });
  });
  return context;
}

async function signIn(page: Page, account: { email: string; password: string }): Promise<void> {
  await page.goto(`${baseUrl}/`);
  // Without a session every dashboard page leads to the sign-in page.
  await page.waitForURL(/\/sign-in\?next=%2F$/);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByTestId("sign-in-submit").click();
  await page.waitForURL(`${baseUrl}/`);
  await page.getByTestId("signed-in-as").waitFor();
}

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-access-e2e-"));
  env = { ...(await dashboardEnv(work)), AUTH: "on" };
  const folder = path.join(work, "scenes");
  await fs.mkdir(folder);
  const scenes = (await fs.readdir(DEMO))
    .filter((f) => f.endsWith(".png"))
    .sort()
    .slice(0, 24);
  for (const scene of scenes) await fs.copyFile(path.join(DEMO, scene), path.join(folder, scene));
  sceneSha256 = createHash("sha256")
    .update(await fs.readFile(path.join(folder, scenes[0] ?? "")))
    .digest("hex");
  // The lab's images are already on the server (a CLI run made the dataset); the member runs on them again.
  const cliRunId = await encodeWithCli(env, work, folder, "cli scenes");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, "bin", "fvl.mjs"), "runs", cliRunId],
    { env, cwd: work },
  );
  datasetId = /^dataset\s+.*\(([a-z0-9]+)\)$/m.exec(stdout)?.[1] ?? "";
  // The first administrator, from the server's shell.
  const createdOut = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [path.join(ROOT, "bin", "fvl.mjs"), "users", "create-admin", "--email", ADMIN.email, "--name", "Admin"],
      { env, cwd: work },
      (error, out) => (error ? reject(error) : resolve(out)),
    );
    child.stdin?.end(`${ADMIN.password}\n`);
  });
  expect(createdOut).toMatch(/Created admin admin@lab\.test/);
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

describe("access control in the browser", () => {
  let member: BrowserContext;
  let memberPage: Page;
  let shareUrl: string;

  it("the first administrator signs in and adds a member", async () => {
    expect(datasetId).toMatch(/^[a-z0-9]+$/);
    const admin = await newContext();
    const page = await admin.newPage();
    await signIn(page, ADMIN);
    expect(await page.getByTestId("auth-mode").getAttribute("data-mode")).toBe("on");
    expect(await page.getByTestId("signed-in-as").textContent()).toBe("admin@lab.test · admin");
    await page.getByRole("link", { name: "Accounts" }).click();
    await page.waitForURL(/\/admin\/users$/);
    await page.getByLabel("Email").fill(MEMBER.email);
    await page.getByLabel("Name").fill("Member");
    await page.getByLabel("Password").fill(MEMBER.password);
    await page.getByLabel("Role", { exact: true }).selectOption("member");
    await page.getByTestId("user-create").click();
    await waitUntil(
      async () => (await page.getByTestId("user-row").count()) === 2,
      10_000,
      "the new account",
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "access-accounts.png") });
    await admin.close();
  });

  it("a member signs in, starts a run and shares its explorer view", {
    timeout: LAYOUT_TIMEOUT_MS + 300_000,
  }, async () => {
    member = await newContext();
    memberPage = await member.newPage();
    await signIn(memberPage, MEMBER);
    expect(await memberPage.getByTestId("signed-in-as").textContent()).toBe("member@lab.test · member");
    await memberPage.goto(`${baseUrl}/datasets/${datasetId}`);
    await memberPage.getByRole("button", { name: "Start run" }).click();
    await memberPage.waitForURL(/\/runs\/[a-z0-9]+$/);
    const runId = memberPage.url().split("/").at(-1) ?? "";
    await waitUntil(
      async () => (await memberPage.getByTestId("run-progress").getAttribute("data-status")) === "completed",
      240_000,
      "the member's run to complete",
    );
    await memberPage.goto(`${baseUrl}/runs/${runId}/explore`);
    await memberPage
      .locator('[data-testid="projection-panels"][data-first-render-ms]')
      .waitFor({ timeout: LAYOUT_TIMEOUT_MS });
    await memberPage.getByTestId("share-open").click();
    await memberPage.getByTestId("share-create").click();
    shareUrl = await memberPage.getByTestId("share-url").inputValue({ timeout: 10_000 });
    expect(shareUrl).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);
  });

  it("the link opens in a fresh browser without signing in, and shows the revoked page once revoked", {
    timeout: LAYOUT_TIMEOUT_MS + 60_000,
  }, async () => {
    const visitor = await newContext();
    const page = await visitor.newPage();
    await page.goto(shareUrl);
    expect(page.url()).toBe(shareUrl);
    const panels = page.locator('[data-testid="projection-panels"][data-first-render-ms]');
    await panels.waitFor({ timeout: LAYOUT_TIMEOUT_MS });
    expect(await page.getByTestId("projection-panel").count()).toBeGreaterThan(0);
    // The run's images load with the link alone (the context's cookies, as the page's own requests).
    expect((await page.request.get(`${baseUrl}/api/images/${sceneSha256}/thumbnail`)).status()).toBe(200);
    expect(await page.getByTestId("auth-mode").getAttribute("data-mode")).toBe("on");
    await page.screenshot({ path: path.join(ARTIFACTS, "access-shared-view.png") });
    // Nothing else of the dashboard opens for the visitor.
    await page.goto(`${baseUrl}/`);
    await page.waitForURL(/\/sign-in/);

    // The member revokes the link; the visitor's next request is refused.
    await memberPage.getByTestId("share-revoke").first().click();
    await memberPage.locator('[data-testid="share-link"][data-status="revoked"]').waitFor();
    await page.goto(shareUrl);
    await page.getByTestId("link-unavailable").waitFor();
    expect(await page.getByTestId("link-unavailable").getAttribute("data-reason")).toBe("revoked");
    await page.screenshot({ path: path.join(ARTIFACTS, "access-revoked.png") });
    await visitor.close();
    await member.close();
  });

  it("every page passed the Content-Security-Policy", () => {
    expect(cspViolations).toEqual([]);
  });
});
