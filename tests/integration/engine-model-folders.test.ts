import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answerQuestion,
  answerTask,
  encodeImages,
  type LoadedModel,
  loadModel,
  ModelFolderError,
  preprocessImage,
  UnsupportedRequestError,
} from "~/lib/engine";
import { readFixtures } from "../helpers/engine-fixtures";
import { MINI_MODEL_DIR, PARITY_FIXTURES_DIR, STOCK_MODEL_DIR } from "../helpers/mini-model-paths";

const SESSION = {
  executionProvider: "cpu" as const,
  intraOpThreads: 1,
  interOpThreads: 1,
  allowSpinning: false,
};
let scratch: string;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "lens-folders-"));
});

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

/** A copy of `source` with `breakIt` applied, for one failure case. */
async function brokenCopy(
  source: string,
  name: string,
  breakIt: (dir: string) => Promise<void>,
): Promise<string> {
  const dir = path.join(scratch, name);
  await fs.cp(source, dir, { recursive: true });
  await breakIt(dir);
  return dir;
}

async function loadError(dir: string): Promise<ModelFolderError> {
  const error = await loadModel(dir, { session: SESSION }).then(
    async (model) => {
      await model.release();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFolderError);
  return error as ModelFolderError;
}

describe("model folders that break the contract give a typed error naming the file", () => {
  it("a folder that does not exist", async () => {
    expect((await loadError(path.join(scratch, "nowhere"))).problem).toBe("missing-file");
  });

  it("a missing graph", async () => {
    const dir = await brokenCopy(STOCK_MODEL_DIR, "missing", (d) =>
      fs.rm(path.join(d, "onnx", "encoder_model.onnx")),
    );
    const error = await loadError(dir);
    expect([error.problem, error.file]).toEqual(["missing-file", "onnx/encoder_model.onnx"]);
  });

  it("a graph with the wrong input names", async () => {
    const dir = await brokenCopy(STOCK_MODEL_DIR, "inputs", (d) =>
      fs.copyFile(path.join(d, "onnx", "embed_tokens.onnx"), path.join(d, "onnx", "vision_encoder.onnx")),
    );
    const error = await loadError(dir);
    expect([error.problem, error.file]).toEqual(["wrong-inputs", "onnx/vision_encoder.onnx"]);
    expect(error.message).toMatch(/pixel_values/);
  });

  it("a vision graph whose input size disagrees with preprocessor_config.json", async () => {
    const dir = await brokenCopy(STOCK_MODEL_DIR, "shape", async (d) => {
      const file = path.join(d, "preprocessor_config.json");
      const config = JSON.parse(await fs.readFile(file, "utf8"));
      await fs.writeFile(file, JSON.stringify({ ...config, size: { height: 224, width: 224 } }));
    });
    const error = await loadError(dir);
    expect([error.problem, error.file]).toEqual(["wrong-shape", "onnx/vision_encoder.onnx"]);
    expect(error.message).toMatch(/224/);
  });

  it("a corrupt ONNX file", async () => {
    const dir = await brokenCopy(STOCK_MODEL_DIR, "corrupt", async (d) => {
      const file = path.join(d, "onnx", "decoder_model_merged.onnx");
      const bytes = await fs.readFile(file);
      await fs.writeFile(file, bytes.subarray(0, bytes.length / 3));
    });
    const error = await loadError(dir);
    expect([error.problem, error.file]).toEqual(["bad-graph", "onnx/decoder_model_merged.onnx"]);
  });

  it("unreadable JSON", async () => {
    const dir = await brokenCopy(STOCK_MODEL_DIR, "json", (d) =>
      fs.writeFile(path.join(d, "tokenizer.json"), "{ not json"),
    );
    const error = await loadError(dir);
    expect([error.problem, error.file]).toEqual(["bad-json", "tokenizer.json"]);
  });

  it("a file whose sha256 differs from fvl.json", async () => {
    const dir = await brokenCopy(MINI_MODEL_DIR, "checksum", (d) =>
      fs.appendFile(path.join(d, "config.json"), " "),
    );
    const error = await loadError(dir);
    expect([error.problem, error.file]).toEqual(["checksum-mismatch", "config.json"]);
  });

  it("a manifest pointing outside the folder", async () => {
    const dir = await brokenCopy(MINI_MODEL_DIR, "escape", async (d) => {
      const file = path.join(d, "fvl.json");
      const manifest = JSON.parse(await fs.readFile(file, "utf8"));
      manifest.fusion.projector = "../../outside.onnx";
      await fs.writeFile(file, JSON.stringify(manifest));
    });
    const error = await loadError(dir);
    expect(error.problem).toBe("bad-json");
    expect(error.message).toMatch(/outside/);
  });
});

describe("a stock onnx-community Florence-2 folder", () => {
  let model: LoadedModel;

  beforeAll(async () => {
    model = await loadModel(STOCK_MODEL_DIR, { session: SESSION });
  });

  afterAll(async () => {
    await model?.release();
  });

  it("loads and yields V, breadth features and answers, and says attention is unavailable", async () => {
    expect(model.kind).toBe("florence-2");
    const [fixture] = await readFixtures(PARITY_FIXTURES_DIR);
    const bytes = await fs.readFile(path.join(PARITY_FIXTURES_DIR, fixture?.image ?? ""));
    const { pixelValues, original } = await preprocessImage(bytes, model.preprocess, { maxInputPixels: 1e8 });
    const [image] = await encodeImages(model, [pixelValues], {
      prompts: ["<OCR>"],
      includeStages: true,
      includeFused: true,
      includeAttention: true,
    });
    if (image === undefined) throw new Error("not encoded");
    expect(Object.keys(image.sources)).toEqual(["depth:V", "breadth:<OCR>", "fused"]);
    // Without a projector the fused source is the raw channel concatenation [V; caption; OCR; region].
    expect(image.sources.fused?.tensor.dims).toEqual([145, 4 * 128]);
    const state = image.encoder.find((s) => s.prompt.key === "<OCR>");
    if (state === undefined) throw new Error("no OCR encoder state");
    expect(state.attentions).toBeNull();
    const answer = await answerTask(
      model,
      state,
      { ...original, grid: image.grid, hasPooledToken: true, imageTokens: image.imageTokenCount },
      { numBeams: 3, maxNewTokens: 12 },
    );
    expect(answer.tokenIds.length).toBeGreaterThan(0);
    expect(answer.crossAttention).toBeNull();
    expect(answer.promptAttention).toBeNull();
    await expect(
      answerQuestion(model, image.sources.fused?.tensor as never, "What?", {
        grid: image.grid,
        hasPooledToken: true,
      }),
    ).rejects.toThrow(UnsupportedRequestError);
  });
});
