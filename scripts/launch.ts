/**
 * One command for users: `npm start` (production) or `npm run dev` (both processes with reload); `npm run web` is the
 * web role of a scale-out deployment (README, Scaling out): the same start without the inference server, the worker
 * and the demo run, which run elsewhere (`npm run inference`, `npm run worker`).
 * Creates the data folder, applies migrations, builds the dashboard if there is no build yet, then runs the
 * inference server, the job worker and the Next.js server side by side (if one exits, the others are stopped),
 * and on first start imports the demo dataset and encodes it with the bundled model and with the contrastive miniature
 * (models/contrastive-mini), so that the alignment view and the explorer can compare the two encoders.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { countUsers } from "~/server/auth/users";
import { getAppDeps } from "~/server/composition-root";
import { env } from "~/server/env";
import { hashClearShareTokens } from "~/server/services/share/hash-clear-tokens";
import { ensureDataDir } from "~/server/store/data-dir";
import { applyMigrations } from "~/server/store/migrate";
import { ensureDemoRun } from "./demo-run";

const root = process.cwd();
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

function launch(name: string, command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: "inherit", env: process.env });
  child.on("exit", (code, signal) => {
    console.log(`[launch] ${name} exited (${signal ?? code})`);
    shutdown(code ?? 1);
  });
  return child;
}

const children: ChildProcess[] = [];
let isStopping = false;

function shutdown(code: number): void {
  if (isStopping) return;
  isStopping = true;
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  process.exitCode = code;
}

async function main(mode: "start" | "dev" | "web"): Promise<void> {
  const deps = getAppDeps();
  await ensureDataDir(deps.dataDir);
  console.log(`[launch] data in ${deps.dataDir}`);
  await applyMigrations({ databaseUrl: deps.databaseUrl, cwd: root });
  const hashed = await hashClearShareTokens({ db: deps.db });
  if (hashed > 0) console.log(`[launch] stored ${hashed} older share link token(s) as hashes`);
  await announceAccessControl(deps);
  if (mode !== "dev" && !existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("[launch] no production build yet: running `next build` once");
    const build = spawn(bin("next"), ["build"], { stdio: "inherit" });
    const code = await new Promise<number | null>((resolve) => build.on("exit", resolve));
    if (code !== 0) throw new Error(`next build failed (exit ${code})`);
  }
  if (mode !== "web") {
    const inferenceArgs =
      mode === "dev" ? ["watch", "server/inference/main.ts"] : ["server/inference/main.ts"];
    children.push(launch("inference server", bin("tsx"), inferenceArgs));
    const workerArgs =
      mode === "dev" ? ["watch", "server/jobs/worker-main.ts"] : ["server/jobs/worker-main.ts"];
    children.push(launch("job worker", bin("tsx"), workerArgs));
  }
  const nextArgs = [mode === "dev" ? "dev" : "start", "-H", env.HOST, "-p", String(env.PORT)];
  children.push(launch("web server", bin("next"), nextArgs));
  console.log(`[launch] dashboard on http://${env.HOST}:${env.PORT}`);
  process.once("SIGINT", () => shutdown(0));
  process.once("SIGTERM", () => shutdown(0));
  if (mode !== "web") await ensureDemoRun({ deps, root, log: (line) => console.log(`[launch] ${line}`) });
  console.log(`[launch] ready: http://${env.HOST}:${env.PORT}`);
}

/** Says whether accounts are required, and how to make the first administrator when there is none. */
async function announceAccessControl(deps: ReturnType<typeof getAppDeps>): Promise<void> {
  if (!deps.auth.isEnabled) {
    console.log(`[launch] access control off (HOST=${env.HOST} is this computer only; AUTH=${env.AUTH})`);
    return;
  }
  console.log(
    `[launch] access control on (AUTH=${env.AUTH}, HOST=${env.HOST}): sign in at ${env.publicUrl}/sign-in`,
  );
  if ((await countUsers({ db: deps.db })) === 0)
    console.log(
      "[launch] no accounts yet: create the first administrator with\n" +
        "[launch]   npx fvl users create-admin --email you@your-lab.org   (it asks for the password)",
    );
}

const mode = process.argv[2];
if (mode !== "start" && mode !== "dev" && mode !== "web") {
  console.error("usage: tsx scripts/launch.ts start|dev|web");
  process.exit(2);
}
main(mode).catch((error: unknown) => {
  console.error(`[launch] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
