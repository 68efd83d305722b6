/**
 * Which language-model weight variant the inference server serves (LLM_VARIANT, and the engine's CPU default for an
 * fp16 export) and what its health says about the model's memory. The folder is a random shrunk Phi-3.5-mini
 * (llava_phi) Florence-VL checkpoint exported by `fvl model export --dtype fp16`: fp16 main graphs with int8 and
 * int4 variants of the language model.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerQuestion, encodeImages, loadModel, preprocessImage } from "~/lib/engine";
import { serveModel } from "../helpers/inference-server";
import { PARITY_FIXTURES_DIR } from "../helpers/mini-model-paths";
import { fvlModelExport, runExportPython } from "../helpers/real-checkpoints";

const SESSION = {
  executionProvider: "cpu" as const,
  intraOpThreads: 1,
  interOpThreads: 1,
  allowSpinning: false,
};
const IMAGE = path.join(PARITY_FIXTURES_DIR, "images", "test-0000.png");
const QUESTION = "What colour is the shape?";

let work: string;
let modelDir: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-llm-variant-"));
  const folders = JSON.parse(
    await runExportPython("fvl_export.llm.testing", ["--out", work, "--architecture", "phi3"]),
  ) as { checkpoint: string; tower_files: string };
  modelDir = path.join(work, "model");
  const stdout = await fvlModelExport([
    "--from",
    folders.checkpoint,
    "--tower-files",
    folders.tower_files,
    "--out",
    modelDir,
    "--dtype",
    "fp16",
  ]);
  expect(stdout).toMatch(/ok: the folder matches the model-directory contract/);
}, 600_000);

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function fileBytes(file: string): Promise<number> {
  return (await fs.stat(path.join(modelDir, file))).size;
}

describe("the served language-model variant", () => {
  it("defaults to int8 on the CPU for an fp16 export, and health states each graph's bytes and the RSS", async () => {
    const { server, client } = await serveModel(modelDir);
    try {
      const health = await client.health.query();
      if (health.model.state !== "ready") throw new Error(`not ready: ${JSON.stringify(health.model)}`);
      const { memory } = health.model;
      expect(memory.languageModelVariant).toBe("int8");
      const files = memory.graphs.map((graph) => graph.file);
      expect(files).toContain("onnx/llm_decoder_int8.onnx");
      // int8 keeps the fp16 embedding table; the vision side is fp16 too.
      expect(files).toContain("onnx/llm_embed_tokens_fp16.onnx");
      expect(files).toContain("onnx/vision_encoder_fp16.onnx");
      for (const graph of memory.graphs) expect(graph.bytes).toBe(await fileBytes(graph.file));
      expect(memory.weightBytes).toBe(memory.graphs.reduce((sum, graph) => sum + graph.bytes, 0));
      expect(health.rssBytes).toBeGreaterThan(memory.weightBytes);
    } finally {
      await server.stop();
    }
  });

  it("serves the variant LLM_VARIANT names: int4 answers as the engine does with int4 loaded directly", async () => {
    const { server, client } = await serveModel(modelDir, { LLM_VARIANT: "int4" });
    const direct = await loadModel(modelDir, { session: SESSION, languageModelVariant: "int4" });
    try {
      const health = await client.health.query();
      if (health.model.state !== "ready") throw new Error(`not ready: ${JSON.stringify(health.model)}`);
      expect(health.model.memory.languageModelVariant).toBe("int4");
      expect(health.model.memory.graphs.map((graph) => graph.file)).toContain("onnx/llm_decoder_int4.onnx");
      const bytes = new Uint8Array(await fs.readFile(IMAGE));
      const served = await client.answer.mutate({ image: { name: "scene.png", bytes }, question: QUESTION });
      const { pixelValues } = await preprocessImage(bytes, direct.preprocess, { maxInputPixels: 1e8 });
      const [image] = await encodeImages(direct, [pixelValues], {
        prompts: [],
        includeStages: false,
        includeFused: true,
        includeAttention: false,
      });
      const fused = image?.sources.fused;
      if (fused === undefined) throw new Error("no fused tokens");
      const answer = await answerQuestion(direct, fused.tensor, QUESTION, {
        grid: fused.grid,
        hasPooledToken: fused.hasPooledToken,
      });
      expect(answer.tokenIds.length).toBeGreaterThan(0);
      expect(served.tokenIds).toEqual(answer.tokenIds);
    } finally {
      await direct.release();
      await server.stop();
    }
  });

  it("fails the load naming the variants the folder has when LLM_VARIANT asks for another", async () => {
    const { server, client } = await serveModel(modelDir, { LLM_VARIANT: "fp32" });
    try {
      const { model } = await client.health.query();
      expect(model.state).toBe("failed");
      expect("detail" in model ? model.detail : "").toMatch(/language-model variant fp32.*fp16, int8, int4/);
    } finally {
      await server.stop();
    }
  });
});
