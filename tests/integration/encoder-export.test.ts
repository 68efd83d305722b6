/**
 * Comparison-encoder parity: random-initialised CLIP, SigLIP and DINOv2 (openai/clip-vit-base-patch16,
 * google/siglip-base-patch16-224 and facebook/dinov2-small shrunk in width and depth, with the real
 * preprocessor configs) exported with `fvl model export`, then Lens's preprocessing of real image files and
 * onnxruntime-node's outputs against transformers' image processor and model on the same files
 * (tools/export/fvl_export/testing/encoder_reference.py): pixel_values, last_hidden_state and pooler_output
 * within 1e-4. Also: the exporter's Python tests, and the typed errors of folders that break the contract.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeModel,
  encodeImages,
  type LoadedVisionEncoder,
  loadModelFolder,
  ModelFolderError,
  preprocessImage,
  runVisionEncoder,
} from "~/lib/engine";
import { checkModelFolder } from "~/lib/engine/check-model";
import { decodeRgb } from "~/lib/engine/decode-image";
import { resizeLikePil } from "~/lib/engine/pil-resize";
import { maxAbsDiff } from "../helpers/engine-fixtures";
import { requireExportPython } from "../helpers/export-venv";
import { PARITY_FIXTURES_DIR, STOCK_MODEL_DIR } from "../helpers/mini-model-paths";
import { ROOT } from "../helpers/processes";
import { fvlModelExport, readF32, runExportPython } from "../helpers/real-checkpoints";

const TOLERANCE = 1e-4; // fp32 parity bar of the issue
const SESSION = {
  executionProvider: "cpu" as const,
  intraOpThreads: 1,
  interOpThreads: 1,
  allowSpinning: false,
};
const FAMILIES = ["clip", "siglip", "dinov2"] as const;
// Tokens of the 224² input: a class token before 14² (CLIP) / 16² (DINOv2) patches; SigLIP patches only.
const LAYOUT = {
  clip: { tokens: 197, prefix: 1, grid: 14 },
  siglip: { tokens: 196, prefix: 0, grid: 14 },
  dinov2: { tokens: 257, prefix: 1, grid: 16 },
};
const SCENE = path.join(PARITY_FIXTURES_DIR, "images", "test-0000.png");

interface Reference {
  processor: string;
  backend: string;
  images: { file: string; pixel_dims: number[]; hidden_dims: number[]; pooled_dims: number[] }[];
}

let scratch: string;
let images: string[];
const folders: Partial<Record<(typeof FAMILIES)[number], string>> = {};

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "lens-encoders-"));
  // Three real image files: the 192² scene (upscaled), a wide one (shortest-edge resize, then a crop that
  // matters) and a large one (downscaled, antialiased).
  const wide = path.join(scratch, "wide.png");
  await sharp(SCENE)
    .extend({ right: 229, background: { r: 30, g: 140, b: 60 } })
    .composite([{ input: await sharp(SCENE).flop().toBuffer(), left: 229, top: 0 }])
    .png()
    .toFile(wide);
  const large = path.join(scratch, "large.png");
  await sharp(SCENE).resize(611, 403, { kernel: "lanczos3", fit: "fill" }).png().toFile(large);
  images = [SCENE, wide, large];
  await runExportPython("fvl_export.testing.encoder_fixtures", ["--out", path.join(scratch, "checkpoints")]);
  for (const family of FAMILIES) {
    const out = path.join(scratch, "models", family);
    const stdout = await fvlModelExport(["--from", path.join(scratch, "checkpoints", family), "--out", out]);
    expect(stdout).toMatch(new RegExp(`detected: encoder:${family} checkpoint`));
    expect(stdout).toMatch(/ok: the folder matches the model-directory contract/);
    folders[family] = out;
  }
}, 600_000);

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

describe.each(FAMILIES)("%s (shrunk, random) exported by fvl model export", (family) => {
  let model: LoadedVisionEncoder;
  let reference: Reference;
  let refDir: string;

  beforeAll(async () => {
    refDir = path.join(scratch, "reference", family);
    const args = ["--model", path.join(scratch, "checkpoints", family), "--out", refDir];
    for (const image of images) args.push("--image", image);
    reference = JSON.parse(await runExportPython("fvl_export.testing.encoder_reference", args)) as Reference;
    const loaded = await loadModelFolder(folders[family] ?? "", { session: SESSION });
    if (loaded.kind !== "encoder") throw new Error(`${family} loaded as ${loaded.kind}`);
    model = loaded;
  }, 300_000);

  afterAll(async () => {
    await model?.release();
  });

  it("preprocesses image files as transformers' image processor does (pixel_values ≤ 1e-4)", async () => {
    expect(reference.backend).toBe("pil");
    expect(reference.processor).toBe(
      { clip: "CLIPImageProcessorPil", siglip: "SiglipImageProcessorPil", dinov2: "BitImageProcessorPil" }[
        family
      ],
    );
    for (const [i, file] of images.entries()) {
      const { pixelValues } = await preprocessImage(await fs.readFile(file), model.preprocess, {
        maxInputPixels: 1e8,
      });
      const expected = await readF32(path.join(refDir, `pixel_values.${i}.f32`));
      expect(reference.images[i]?.pixel_dims).toEqual([3, 224, 224]);
      const diff = maxAbsDiff(pixelValues, expected);
      console.log(`${family} pixel_values image ${i}: max abs diff ${diff}`);
      expect(diff, `${family} image ${i}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it("gives transformers' last_hidden_state and pooler_output on Lens's pixels (≤ 1e-4)", async () => {
    const pixels = await Promise.all(
      images.map(
        async (file) =>
          (await preprocessImage(await fs.readFile(file), model.preprocess, { maxInputPixels: 1e8 }))
            .pixelValues,
      ),
    );
    const { lastHiddenState, poolerOutput } = await runVisionEncoder(model, pixels);
    const { tokens } = LAYOUT[family];
    expect(lastHiddenState.dims).toEqual([images.length, tokens, 64]);
    expect(poolerOutput.dims).toEqual([images.length, 64]);
    for (const i of images.keys()) {
      const hidden = lastHiddenState.data.subarray(i * tokens * 64, (i + 1) * tokens * 64);
      const pooled = poolerOutput.data.subarray(i * 64, (i + 1) * 64);
      const hiddenDiff = maxAbsDiff(hidden, await readF32(path.join(refDir, `last_hidden_state.${i}.f32`)));
      const pooledDiff = maxAbsDiff(pooled, await readF32(path.join(refDir, `pooler_output.${i}.f32`)));
      console.log(`${family} image ${i}: last_hidden_state ${hiddenDiff}, pooler_output ${pooledDiff}`);
      expect(hiddenDiff).toBeLessThanOrEqual(TOLERANCE);
      expect(pooledDiff).toBeLessThanOrEqual(TOLERANCE);
    }
    // Random weights still separate the images (a graph ignoring its input would pass the checks above).
    expect(
      maxAbsDiff(poolerOutput.data.subarray(0, 64), poolerOutput.data.subarray(64, 128)),
    ).toBeGreaterThan(1e-3);
  });

  it("encodes to one source encoder:<family>: the pooled token, then the patch grid", async () => {
    const { pixelValues } = await preprocessImage(await fs.readFile(images[1] ?? ""), model.preprocess, {
      maxInputPixels: 1e8,
    });
    const [image] = await encodeImages(model, [pixelValues], {
      prompts: [],
      includeStages: false,
      includeFused: false,
      includeAttention: false,
    });
    const { grid, prefix } = LAYOUT[family];
    expect(Object.keys(image?.sources ?? {})).toEqual([`encoder:${family}`]);
    const source = image?.sources[`encoder:${family}`];
    expect(source?.grid).toEqual([grid, grid]);
    expect(source?.hasPooledToken).toBe(true);
    expect(source?.tensor.dims).toEqual([1 + grid * grid, 64]);
    expect(image?.encoder).toEqual([]);
    const data = source?.tensor.data ?? new Float32Array();
    const hidden = await readF32(path.join(refDir, "last_hidden_state.1.f32"));
    expect(
      maxAbsDiff(data.subarray(0, 64), await readF32(path.join(refDir, "pooler_output.1.f32"))),
    ).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(data.subarray(64), hidden.subarray(prefix * 64))).toBeLessThan(TOLERANCE);
  });

  it("is described as format encoder:<family> with its source, no attention and no language model", () => {
    const info = describeModel(model);
    const { grid } = LAYOUT[family];
    expect(info).toMatchObject({
      kind: "encoder",
      sourceFormat: `encoder:${family}`,
      dtype: "fp32",
      hasLanguageModel: false,
      hasProjector: false,
      attentionOutputs: [],
      prompts: [],
      imageTokenCount: 1 + grid * grid,
      sources: [{ name: `encoder:${family}`, grid: [grid, grid], dims: 64 }],
    });
  });
});

describe("lib/engine's port of Pillow's resize", () => {
  it("gives Pillow's bytes for every filter, growing, shrinking and both at once", {
    timeout: 120_000,
  }, async () => {
    // The large image is 611×403: sizes that grow, shrink, or grow one side while shrinking the other.
    const sizes = ["224x224", "1000x700", "97x61", "1200x150", "150x900", "611x224", "256x403"];
    const cases = sizes.flatMap((size) => [0, 1, 2, 3, 4, 5].map((resample) => `${size}:${resample}`));
    const out = path.join(scratch, "pil-resize");
    const large = images[2] ?? "";
    await runExportPython("fvl_export.testing.pil_resize_reference", [
      "--image",
      large,
      "--out",
      out,
      ...cases.flatMap((c) => ["--case", c]),
    ]);
    const decoded = await decodeRgb(await fs.readFile(large), 1e8);
    for (const c of cases) {
      const [size = "", resample = "0"] = c.split(":");
      const [width = 0, height = 0] = size.split("x").map(Number);
      const ours = resizeLikePil(decoded, width, height, Number(resample));
      const pillow = new Uint8Array(await fs.readFile(path.join(out, `${size}.${resample}.rgb`)));
      expect(maxAbsDiff(ours.data, pillow), c).toBe(0);
    }
  });
});

describe("the exporter's Python tests for the encoders", () => {
  it("pass in the exporter's virtual environment", { timeout: 300_000 }, async () => {
    const { stderr } = await promisify(execFile)(
      requireExportPython(),
      ["-m", "unittest", "-v", "test_fvl_export_encoders"],
      { cwd: path.join(ROOT, "tools", "export"), env: { ...process.env, OPENBLAS_NUM_THREADS: "1" } },
    );
    expect(stderr).toMatch(/^OK/m);
    expect(stderr).toMatch(/^Ran 6 tests/m);
  });
});

describe("comparison-encoder folders that break the contract give a typed error", () => {
  async function brokenCopy(family: string, name: string, breakIt: (dir: string) => Promise<void>) {
    const dir = path.join(scratch, "broken", name);
    await fs.cp(folders[family as (typeof FAMILIES)[number]] ?? "", dir, { recursive: true });
    await breakIt(dir);
    return dir;
  }
  async function checkError(dir: string): Promise<ModelFolderError> {
    const error = await checkModelFolder(dir, SESSION).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelFolderError);
    return error as ModelFolderError;
  }
  const editJson = async (file: string, edit: (json: Record<string, unknown>) => Record<string, unknown>) =>
    fs.writeFile(file, JSON.stringify(edit(JSON.parse(await fs.readFile(file, "utf8")))));

  it("a missing ONNX graph", async () => {
    const dir = await brokenCopy("siglip", "no-graph", (d) =>
      fs.rm(path.join(d, "onnx"), { recursive: true }),
    );
    const error = await checkError(dir);
    expect([error.problem, error.file]).toEqual(["missing-file", "onnx/vision_model.onnx"]);
  });

  it("a graph with other output names", async () => {
    // Florence-2's vision encoder in the encoder's place: image_features, not last_hidden_state / pooler_output.
    const dir = await brokenCopy("clip", "florence-graph", (d) =>
      fs.copyFile(
        path.join(STOCK_MODEL_DIR, "onnx", "vision_encoder.onnx"),
        path.join(d, "onnx", "vision_model.onnx"),
      ),
    );
    const error = await checkError(dir);
    expect(error.problem).toBe("wrong-outputs");
    expect(error.message).toMatch(/last_hidden_state/);
  });

  it("a patch count that is not square after the prefix tokens", async () => {
    // Two register tokens claimed: 257 - 3 = 254 patches.
    const dir = await brokenCopy("dinov2", "registers", (d) =>
      editJson(path.join(d, "config.json"), (c) => ({ ...c, num_register_tokens: 2 })),
    );
    const error = await checkError(dir);
    expect([error.problem, error.file]).toEqual(["wrong-shape", "onnx/model.onnx"]);
    expect(error.message).toMatch(/square number of patch tokens after 3 prefix token\(s\).*got 257 tokens/);
  });

  it("a preprocessor size the graph was not exported for", async () => {
    const dir = await brokenCopy("siglip", "size", (d) =>
      editJson(path.join(d, "preprocessor_config.json"), (p) => ({
        ...p,
        size: { height: 256, width: 256 },
      })),
    );
    const error = await checkError(dir);
    expect(error.problem).toBe("wrong-shape");
    expect(error.message).toMatch(/pixel_values \[batch, 3, 256, 256\]/);
  });

  it("a preprocessor without a fixed output size", async () => {
    const dir = await brokenCopy("dinov2", "no-crop", (d) =>
      editJson(path.join(d, "preprocessor_config.json"), (p) => ({ ...p, do_center_crop: false })),
    );
    const error = await checkError(dir);
    expect([error.problem, error.file]).toEqual(["bad-json", "preprocessor_config.json"]);
  });

  it("an unknown model_type in the encoder layout", async () => {
    const dir = await brokenCopy("clip", "vit", (d) =>
      editJson(path.join(d, "config.json"), (c) => ({ ...c, model_type: "vit" })),
    );
    const error = await checkError(dir);
    expect([error.problem, error.file]).toEqual(["unknown-model-type", "config.json"]);
    expect(error.message).toMatch(/got "vit"/);
  });
});
