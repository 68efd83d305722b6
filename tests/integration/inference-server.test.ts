import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInferenceClient } from "~/server/services/inference-client";
import { getInferenceHealth } from "~/server/services/system/get-inference-health";
import { getFreePort, isServing, type RunningProcess, startBin, waitUntil } from "../helpers/processes";

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "lens-inference-"));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function startInference(modelDir: string, extraEnv: Record<string, string> = {}) {
  const port = await getFreePort();
  const server = startBin("tsx", ["server/inference/main.ts"], {
    INFERENCE_PORT: String(port),
    MODEL_DIR: modelDir,
    ...extraEnv,
  });
  const url = `http://127.0.0.1:${port}`;
  return { server, url, client: createInferenceClient({ url, timeoutMs: 2_000 }) };
}

async function waitForModelState(client: ReturnType<typeof createInferenceClient>, server: RunningProcess) {
  await waitUntil(
    async () => (await client.health.query()).model.state !== "loading",
    30_000,
    `model load (${server.output()})`,
  );
  return client.health.query();
}

describe("inference server process", () => {
  it("reports its model folder, provider, ONNX Runtime version and a missing model", async () => {
    const { server, url, client } = await startInference(path.join(dir, "nowhere"));
    try {
      await waitUntil(() => isServing(url), 30_000, `inference server (${server.output()})`);
      const health = await waitForModelState(client, server);
      expect(health.modelDir).toBe(path.join(dir, "nowhere"));
      expect(health.executionProvider).toBe("cpu");
      expect(health.ortVersion).toMatch(/^\d+\.\d+\.\d+/);
      expect(health.model).toMatchObject({ state: "missing" });

      const viaService = await getInferenceHealth({ client, url });
      expect(viaService).toMatchObject({ status: "up", model: { state: "missing" } });
    } finally {
      await server.stop();
    }
    const afterStop = await getInferenceHealth({ client, url });
    expect(afterStop).toEqual({ status: "down", url, reason: "not reachable" });
  });

  it("reports a corrupt graph as a failed load, with ONNX Runtime's reason", async () => {
    const modelDir = path.join(dir, "corrupt");
    await fs.mkdir(path.join(modelDir, "onnx"), { recursive: true });
    await fs.writeFile(path.join(modelDir, "onnx", "vision_encoder.onnx"), "not a protobuf");
    const { server, url, client } = await startInference(modelDir);
    try {
      await waitUntil(() => isServing(url), 30_000, `inference server (${server.output()})`);
      const health = await waitForModelState(client, server);
      expect(health.model.state).toBe("failed");
      expect("detail" in health.model && health.model.detail.length).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  it("refuses to start on an execution provider whose binaries are not installed", async () => {
    const { server } = await startInference(path.join(dir, "nowhere"), { EXECUTION_PROVIDER: "cuda" });
    expect(await server.exited).toBe(2);
    expect(server.output()).toMatch(/--onnxruntime-node-install=cuda12/);
  });
});
