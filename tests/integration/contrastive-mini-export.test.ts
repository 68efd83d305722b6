/**
 * Contrastive miniature export parity: the CLIP-layout image encoder (onnx/vision_model.onnx) run by onnxruntime-node
 * reproduces the PyTorch module's last_hidden_state and pooler_output within 1e-4, for the committed bundle
 * (models/contrastive-mini, its pytorch/clip-mini.pt) and for a freshly trained smoke model (the training command's
 * whole code path: training ranks, retrieval, export). Python (/usr/bin/python3 with torch + onnx) is required.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/processes";

const PYTHON = "/usr/bin/python3";
const TOLERANCE = 1e-4;
const BUNDLE = path.join(ROOT, "models", "contrastive-mini");
const MAX_BUNDLE_BYTES = 10 * 1024 * 1024;

interface Reference {
  images: string[];
  arrays: Record<"pixel_values" | "last_hidden_state" | "pooler_output", { file: string; dims: number[] }>;
}

let tmp = "";
let smokeModel = "";

function python(args: string[], timeout: number): void {
  const run = spawnSync(PYTHON, args, {
    cwd: ROOT,
    encoding: "utf8",
    timeout,
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
  });
  if (run.status !== 0) {
    const log = `${run.stdout ?? ""}\n${run.stderr ?? ""}${run.error ? `\n${run.error}` : ""}`;
    throw new Error(`${args.join(" ")} failed (status ${run.status}):\n${log.slice(-4000)}`);
  }
}

function readFloat32(dir: string, ref: { file: string; dims: number[] }): ort.Tensor {
  const buf = fs.readFileSync(path.join(dir, ref.file));
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return new ort.Tensor("float32", data, ref.dims);
}

function maxAbsDiff(a: ort.Tensor, b: ort.Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  if (x.length !== y.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs((x[i] as number) - (y[i] as number));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}

function folderBytes(dir: string): number {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + fs.statSync(path.join(entry.parentPath, entry.name)).size, 0);
}

/** Runs the folder's ONNX graph on the PyTorch reference's pixel values and returns the worst differences. */
async function parity(modelDir: string, refDir: string) {
  python(["tools/contrastive-mini/reference.py", "--model", modelDir, "--out", refDir], 120_000);
  const ref = JSON.parse(fs.readFileSync(path.join(refDir, "reference.json"), "utf8")) as Reference;
  const session = await ort.InferenceSession.create(path.join(modelDir, "onnx", "vision_model.onnx"));
  try {
    const out = await session.run({ pixel_values: readFloat32(refDir, ref.arrays.pixel_values) });
    const hidden = out.last_hidden_state as ort.Tensor;
    const pooled = out.pooler_output as ort.Tensor;
    const [batch, tokens, dim] = hidden.dims as [number, number, number];
    const data = hidden.data as Float32Array;
    const firstToken = new Float32Array(batch * dim);
    for (let b = 0; b < batch; b++)
      firstToken.set(data.subarray(b * tokens * dim, (b * tokens + 1) * dim), b * dim);
    return {
      inputs: session.inputNames,
      outputs: session.outputNames,
      hiddenDims: hidden.dims,
      pooledDims: pooled.dims,
      hidden: maxAbsDiff(hidden, readFloat32(refDir, ref.arrays.last_hidden_state)),
      pooled: maxAbsDiff(pooled, readFloat32(refDir, ref.arrays.pooler_output)),
      pooledIsFirstToken: maxAbsDiff(pooled, new ort.Tensor("float32", firstToken, pooled.dims)),
    };
  } finally {
    await session.release();
  }
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "contrastive-mini-"));
  smokeModel = path.join(tmp, "model");
  python(
    ["tools/contrastive-mini/train.py", "--smoke", "--out", smokeModel, "--work", path.join(tmp, "work")],
    170_000,
  );
}, 180_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("contrastive miniature (CLIP ONNX layout)", () => {
  for (const [name, dir] of [
    ["committed bundle", () => BUNDLE],
    ["smoke training", () => smokeModel],
  ] as const) {
    it(`${name}: ONNX equals PyTorch within ${TOLERANCE}`, { timeout: 150_000 }, async () => {
      const result = await parity(dir(), path.join(tmp, `ref-${name.replace(/\s/g, "-")}`));
      expect(result.inputs).toEqual(["pixel_values"]);
      expect(result.outputs).toEqual(["last_hidden_state", "pooler_output"]);
      expect(result.hiddenDims).toEqual([2, 145, 128]);
      expect(result.pooledDims).toEqual([2, 128]);
      expect(result.hidden).toBeLessThanOrEqual(TOLERANCE);
      expect(result.pooled).toBeLessThanOrEqual(TOLERANCE);
      expect(result.pooledIsFirstToken).toBe(0);
    });
  }

  it("tools/contrastive-mini Python unit tests pass (every test_*.py)", { timeout: 120_000 }, () => {
    // spawnSync blocks the event loop, so vitest's own timeout cannot end a hung run: the child gets its own
    // (a two-rank gloo test once hung at 100 % CPU with its peer gone).
    const run = spawnSync(PYTHON, ["-m", "unittest", "discover", "-p", "test_*.py"], {
      cwd: path.join(ROOT, "tools", "contrastive-mini"),
      encoding: "utf8",
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
      timeout: 110_000,
      killSignal: "SIGKILL",
    });
    expect(run.signal, `timed out: ${run.stderr.slice(-4000)}`).toBeNull();
    expect(run.status, run.stderr.slice(-4000)).toBe(0);
    expect(run.stderr).toMatch(/^OK/m);
  });

  it("committed bundle: CLIP config, Florence-VL-mini preprocessing, at most 10 MB", () => {
    const config = JSON.parse(fs.readFileSync(path.join(BUNDLE, "config.json"), "utf8"));
    expect(config.model_type).toBe("clip");
    expect(config.vision_config).toMatchObject({ hidden_size: 128, image_size: 192, patch_size: 16 });
    const pre = JSON.parse(fs.readFileSync(path.join(BUNDLE, "preprocessor_config.json"), "utf8"));
    const mini = JSON.parse(
      fs.readFileSync(path.join(ROOT, "models", "florence-vl-mini", "preprocessor_config.json"), "utf8"),
    );
    for (const key of [
      "size",
      "do_center_crop",
      "do_rescale",
      "rescale_factor",
      "image_mean",
      "image_std",
      "resample",
    ])
      expect(pre[key], key).toEqual(mini[key]);
    expect(folderBytes(BUNDLE)).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });
});
