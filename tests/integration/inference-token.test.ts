/**
 * The inference server's shared secret (issue 19): with INFERENCE_TOKEN set it refuses every request without the
 * token, and it will not listen on a network address without one. The real server process, no model needed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInferenceClient } from "~/server/services/inference-client";
import { getFreePort, type RunningProcess, startBin, waitUntil } from "../helpers/processes";

const TOKEN = "inference-test-secret-0123456789";
let server: RunningProcess;
let url: string;

beforeAll(async () => {
  const port = await getFreePort();
  url = `http://127.0.0.1:${port}`;
  server = startBin("tsx", ["server/inference/main.ts"], {
    INFERENCE_PORT: String(port),
    INFERENCE_HOST: "127.0.0.1",
    INFERENCE_TOKEN: TOKEN,
    // No model: the server still answers (health says "missing"), which is all this test needs.
    MODEL_DIR: "/nonexistent-model-folder",
  });
  const withToken = createInferenceClient({ url, timeoutMs: 2_000, token: TOKEN });
  await waitUntil(
    async () => (await withToken.health.query()).model.state !== "loading",
    30_000,
    `inference server start (${server.output()})`,
  );
});

afterAll(async () => {
  await server?.stop();
});

describe("inference server with INFERENCE_TOKEN", () => {
  it("refuses a request without the token, or with a wrong one, and serves one with it", async () => {
    const anonymous = createInferenceClient({ url, timeoutMs: 2_000 });
    await expect(anonymous.health.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    const wrong = createInferenceClient({ url, timeoutMs: 2_000, token: `${TOKEN.slice(0, -1)}x` });
    await expect(wrong.health.query()).rejects.toMatchObject({ data: { code: "UNAUTHORIZED" } });
    // Plain HTTP, as a stranger on the network would try it: 401 and nothing about the server.
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain("modelDir");
    const health = await createInferenceClient({ url, timeoutMs: 2_000, token: TOKEN }).health.query();
    expect(health.model.state).toBe("missing");
  });

  it("will not listen on a network address without a token", async () => {
    const exposed = startBin("tsx", ["server/inference/main.ts"], {
      INFERENCE_PORT: String(await getFreePort()),
      INFERENCE_HOST: "0.0.0.0",
      MODEL_DIR: "/nonexistent-model-folder",
    });
    expect(await exposed.exited).toBe(2);
    expect(exposed.output()).toMatch(/set INFERENCE_TOKEN/);
  });
});
