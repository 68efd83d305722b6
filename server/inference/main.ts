import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { env } from "~/server/env";
import { isProviderInstalled, ModelSlot } from "./model-slot";
import { createInferenceRouter } from "./router";

/**
 * The inference server process. ONNX Runtime's `run()` blocks its thread, so model work lives here and never on
 * the Next.js request thread; the web server reaches it over tRPC at INFERENCE_URL.
 */
async function main(): Promise<void> {
  const provider = env.EXECUTION_PROVIDER;
  if (!isProviderInstalled(provider)) {
    console.error(
      `[inference] EXECUTION_PROVIDER=${provider} but this onnxruntime-node install has no ${provider} binaries. ` +
        "Reinstall with `npm ci --onnxruntime-node-install=cuda12` on a CUDA 12 machine, or use EXECUTION_PROVIDER=cpu.",
    );
    process.exit(2);
  }
  const slot = new ModelSlot(env.modelDir, {
    executionProvider: provider,
    intraOpThreads: env.ORT_INTRA_OP_THREADS,
    interOpThreads: env.ORT_INTER_OP_THREADS,
  });
  const server = createHTTPServer({ router: createInferenceRouter(slot) });
  server.listen(env.INFERENCE_PORT, env.INFERENCE_HOST);
  console.log(`[inference] listening on http://${env.INFERENCE_HOST}:${env.INFERENCE_PORT} (${provider})`);

  const loaded = await slot.load();
  console.log(
    `[inference] model ${env.modelDir}: ${loaded.state}${"detail" in loaded ? ` (${loaded.detail})` : ""}`,
  );

  const stop = () => {
    server.close();
    void slot.release().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

void main();
