import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { MINI_MODEL_DIR } from "./mini-model-paths";
import { getFreePort, isServing, ROOT, type RunningProcess, startBin, waitUntil } from "./processes";

/** Environment for one e2e stack: its own data folder and ports, the bundled model. */
export async function dashboardEnv(work: string): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    DATA_DIR: path.join(work, "data"),
    MODEL_DIR: MINI_MODEL_DIR,
    PORT: String(await getFreePort()),
    INFERENCE_PORT: String(await getFreePort()),
    NEXT_TELEMETRY_DISABLED: "1",
  };
}

/** Encodes `folder` with `fvl encode` (and `options`, e.g. `--model DIR`) and returns the new run's id. */
export async function encodeWithCli(
  env: NodeJS.ProcessEnv,
  work: string,
  folder: string,
  name: string,
  options: readonly string[] = [],
): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, "bin", "fvl.mjs"), "encode", folder, "--name", name, ...options],
    { env, cwd: work, maxBuffer: 1 << 24 },
  );
  return stdout.trim().split("\n").at(-1) ?? "";
}

/** Inference server, job worker and `next start` on `env`, once the web server answers. */
export async function startDashboard(
  env: NodeJS.ProcessEnv,
): Promise<{ processes: RunningProcess[]; baseUrl: string }> {
  const stringEnv = env as Record<string, string>;
  const processes = [
    startBin("tsx", ["server/inference/main.ts"], stringEnv),
    startBin("tsx", ["server/jobs/worker-main.ts"], stringEnv),
    startBin("next", ["start", "-H", "127.0.0.1", "-p", stringEnv.PORT ?? ""], stringEnv),
  ];
  const baseUrl = `http://127.0.0.1:${env.PORT}`;
  await waitUntil(() => isServing(baseUrl), 60_000, "next start");
  return { processes, baseUrl };
}
