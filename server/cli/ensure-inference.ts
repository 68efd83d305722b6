import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { createInferenceClient, type InferenceClient } from "~/server/services/inference-client";

// How long a freshly started inference server may take to load its model.
const START_TIMEOUT_MS = 120_000;
// Encoding a batch on a CPU can be slow; the CLI waits for it.
const ENCODE_TIMEOUT_MS = 10 * 60_000;

export interface InferenceConnection {
  client: InferenceClient;
  url: string;
  /** Stops the inference server if this CLI started it. */
  close: () => Promise<void>;
}

/**
 * Uses the configured inference server when it serves `modelDir` (its default, or a model it loads on request);
 * otherwise starts one for this command (on a free local port) and stops it afterwards.
 */
export async function ensureInference(options: {
  url: string;
  modelDir: string;
  root: string;
  /** INFERENCE_TOKEN: sent to the configured server, and required by the one started here (it inherits it). */
  token: string | undefined;
}): Promise<InferenceConnection> {
  const { token } = options;
  const existing = createInferenceClient({ url: options.url, timeoutMs: ENCODE_TIMEOUT_MS, token });
  const health = await createInferenceClient({ url: options.url, timeoutMs: 1_500, token })
    .health.query()
    .catch(() => null);
  const isServed =
    health !== null &&
    (path.resolve(health.modelDir) === path.resolve(options.modelDir)
      ? health.model.state === "ready"
      : (await existing.load.mutate({ model: options.modelDir }).catch(() => null))?.state === "ready");
  if (isServed) return { client: existing, url: options.url, close: async () => undefined };
  const port = await freePort();
  const child: ChildProcess = spawn(
    path.join(options.root, "node_modules", ".bin", "tsx"),
    [path.join(options.root, "server/inference/main.ts")],
    {
      cwd: options.root,
      env: {
        ...process.env,
        INFERENCE_PORT: String(port),
        INFERENCE_HOST: "127.0.0.1",
        MODEL_DIR: options.modelDir,
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const client = createInferenceClient({ url, timeoutMs: ENCODE_TIMEOUT_MS, token });
  const probe = createInferenceClient({ url, timeoutMs: 1_500, token });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const state = await probe.health.query().catch(() => null);
    if (state?.model.state === "ready") break;
    if (
      state?.model.state === "failed" ||
      state?.model.state === "missing" ||
      child.exitCode !== null ||
      Date.now() > deadline
    ) {
      child.kill("SIGTERM");
      const detail = state && "detail" in state.model ? state.model.detail : "it did not start";
      throw new Error(`Could not serve the model at ${options.modelDir}: ${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return {
    client,
    url,
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
