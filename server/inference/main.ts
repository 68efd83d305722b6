import { isProviderInstalled } from "~/lib/engine";
import { env, isLoopbackHost } from "~/server/env";
import { createInferenceHttpServer } from "./http-server";
import { ModelPool } from "./model-pool";
import { createInferenceRouter } from "./router";

/**
 * The inference server process. ONNX Runtime's `run()` blocks its thread, so model work lives here and never on
 * the Next.js request thread; the web server reaches it over tRPC at INFERENCE_URL.
 */
async function main(): Promise<void> {
  if (!isLoopbackHost(env.INFERENCE_HOST) && env.INFERENCE_TOKEN === undefined) {
    console.error(
      `[inference] INFERENCE_HOST=${env.INFERENCE_HOST} accepts connections from the network: set INFERENCE_TOKEN ` +
        "(the same secret on the web server and workers) so that only they may use this server.",
    );
    process.exit(2);
  }
  const provider = env.EXECUTION_PROVIDER;
  if (!isProviderInstalled(provider)) {
    console.error(
      `[inference] EXECUTION_PROVIDER=${provider} but this onnxruntime-node install has no ${provider} binaries. ` +
        "Reinstall with `npm ci --onnxruntime-node-install=cuda12` on a CUDA 12 machine, or use EXECUTION_PROVIDER=cpu.",
    );
    process.exit(2);
  }
  const pool = new ModelPool({
    models: { modelDir: env.modelDir, modelsDir: env.modelsDir, modelDirs: env.modelDirs },
    session: {
      executionProvider: provider,
      intraOpThreads: env.ORT_INTRA_OP_THREADS,
      interOpThreads: env.ORT_INTER_OP_THREADS,
      allowSpinning: env.ORT_ALLOW_SPINNING,
    },
    maxInputPixels: env.MAX_IMAGE_PIXELS,
    budgetBytes: env.inferenceMemoryBytes,
    ...(env.MODEL_DTYPE === undefined ? {} : { dtype: env.MODEL_DTYPE }),
    ...(env.LLM_VARIANT === undefined ? {} : { languageModelVariant: env.LLM_VARIANT }),
  });
  const server = createInferenceHttpServer({
    router: createInferenceRouter(pool),
    token: env.INFERENCE_TOKEN,
  });
  server.listen(env.INFERENCE_PORT, env.INFERENCE_HOST);
  console.log(`[inference] listening on http://${env.INFERENCE_HOST}:${env.INFERENCE_PORT} (${provider})`);

  // The default model loads at start; the others on their first request.
  const loaded = await pool.load();
  console.log(
    `[inference] model ${env.modelDir}: ${loaded.state}${"detail" in loaded ? ` (${loaded.detail})` : ""}`,
  );

  const stop = () => {
    server.close();
    void pool.releaseAll().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

void main();
