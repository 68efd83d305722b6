import { createInferenceClient } from "~/server/services/inference-client";
import { getFreePort, startBin, waitUntil } from "./processes";

/** An inference server (server/inference/main.ts) on a free port serving `modelDir`, once its model load has
 * ended (ready or failed); one intra-op thread so parallel test files share the cores. */
export async function serveModel(modelDir: string, extraEnv: Record<string, string> = {}) {
  const port = await getFreePort();
  const server = startBin("tsx", ["server/inference/main.ts"], {
    INFERENCE_PORT: String(port),
    MODEL_DIR: modelDir,
    ORT_INTRA_OP_THREADS: "1",
    ...extraEnv,
  });
  const url = `http://127.0.0.1:${port}`;
  const client = createInferenceClient({ url, timeoutMs: 120_000 });
  await waitUntil(
    async () => {
      const state = (await client.health.query().catch(() => null))?.model.state;
      return state !== undefined && state !== "loading";
    },
    120_000,
    `model load (${server.output()})`,
  );
  return { server, url, client };
}
