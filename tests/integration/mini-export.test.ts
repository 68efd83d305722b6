/**
 * Florence-VL-mini export parity: trains the smoke model in Python (few steps), exports every graph, and checks
 * that onnxruntime-node reproduces PyTorch's outputs (features, stage grids, attentions, logits, LM hidden states)
 * within 1e-4, for the full Florence-VL folder and for the stock onnx-community copy.
 * Python (/usr/bin/python3 with torch + onnx) is required: CI installs it, so a missing interpreter fails here.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const PYTHON = "/usr/bin/python3";
const TOLERANCE = 1e-4;

interface ArrayRef {
  file: string;
  dtype: "float32" | "int64" | "bool";
  dims: number[];
}
interface Case {
  folder: "model" | "stock";
  graph: string;
  inputs: Record<string, ArrayRef>;
  outputs: Record<string, ArrayRef>;
}
interface Reference {
  folders: Record<string, string>;
  onnx_check: Record<string, Record<string, string>>;
  tolerance: number;
  cases: Case[];
}

let outDir = "";
let refDir = "";
let reference: Reference;
let smokeLog = "";

function readArray(ref: ArrayRef): ort.Tensor {
  const buf = fs.readFileSync(path.join(refDir, ref.file));
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  if (ref.dtype === "float32") return new ort.Tensor("float32", new Float32Array(bytes.buffer), ref.dims);
  if (ref.dtype === "int64") return new ort.Tensor("int64", new BigInt64Array(bytes.buffer), ref.dims);
  return new ort.Tensor("bool", bytes, ref.dims);
}

function maxAbsDiff(a: ort.Tensor, b: ort.Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs((x[i] as number) - (y[i] as number));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}

beforeAll(() => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), "fvl-mini-smoke-"));
  const run = spawnSync(PYTHON, ["tools/florence-vl-mini/train.py", "--smoke", "--out", outDir], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 230_000,
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
  });
  smokeLog = `${run.stdout ?? ""}\n${run.stderr ?? ""}${run.error ? `\n${run.error}` : ""}`;
  if (run.status !== 0)
    throw new Error(`smoke training/export failed (status ${run.status}):\n${smokeLog.slice(-4000)}`);
  refDir = path.join(outDir, "reference");
  reference = JSON.parse(fs.readFileSync(path.join(refDir, "reference.json"), "utf8")) as Reference;
}, 240_000);

afterAll(() => {
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

describe("florence-vl-mini smoke export", () => {
  it("passes the onnx checker for every exported graph", () => {
    const model = reference.onnx_check.model ?? {};
    const stock = reference.onnx_check.stock ?? {};
    expect(Object.keys(model).sort()).toEqual([
      "onnx/decoder_model_merged.onnx",
      "onnx/embed_tokens.onnx",
      "onnx/encoder_model.onnx",
      "onnx/llm_decoder.onnx",
      "onnx/llm_embed_tokens.onnx",
      "onnx/projector.onnx",
      "onnx/vision_encoder.onnx",
    ]);
    expect(Object.keys(stock).sort()).toEqual([
      "onnx/decoder_model_merged.onnx",
      "onnx/embed_tokens.onnx",
      "onnx/encoder_model.onnx",
      "onnx/vision_encoder.onnx",
    ]);
    for (const status of [...Object.values(model), ...Object.values(stock)]) expect(status).toBe("ok");
  });

  it("writes the model-directory files and a manifest with checksums", () => {
    for (const f of ["config.json", "preprocessor_config.json", "tokenizer.json", "fvl.json"]) {
      expect(fs.existsSync(path.join(outDir, f)), f).toBe(true);
    }
    const stockDir = reference.folders.stock ?? "";
    expect(fs.existsSync(path.join(stockDir, "fvl.json"))).toBe(false);
    expect(fs.readdirSync(path.join(stockDir, "onnx")).sort()).toEqual([
      "decoder_model_merged.onnx",
      "embed_tokens.onnx",
      "encoder_model.onnx",
      "vision_encoder.onnx",
    ]);
    const fvl = JSON.parse(fs.readFileSync(path.join(outDir, "fvl.json"), "utf8"));
    expect(fvl.layout_version).toBe(1);
    expect(Object.keys(fvl.files)).toContain("onnx/decoder_model_merged.onnx");
    expect(fvl.prompts.map((p: { text: string }) => p.text)).toEqual([
      "Describe in detail what is shown in the image.",
      "What is the text in the image?",
      "Locate the objects in the image, with their descriptions.",
    ]);
    for (const key of [
      "caption_exact",
      "caption_object_f1",
      "ocr_exact",
      "region_miou",
      "region_label_acc",
      "qa_acc",
      "qa_acc_by_type",
      "compositional",
    ]) {
      expect(fvl.metrics, key).toHaveProperty(key);
    }
  });

  it("covers every graph with reference cases", () => {
    const graphs = new Set(reference.cases.map((c) => `${c.folder}:${c.graph}`));
    for (const g of [
      "vision_encoder",
      "embed_tokens",
      "encoder_model",
      "decoder_model_merged",
      "projector",
      "llm_embed_tokens",
      "llm_decoder",
    ]) {
      expect(graphs.has(`model:onnx/${g}.onnx`), g).toBe(true);
    }
    for (const g of ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"]) {
      expect(graphs.has(`stock:onnx/${g}.onnx`), g).toBe(true);
    }
  });

  it("matches PyTorch within 1e-4 in onnxruntime-node for every output", async () => {
    const sessions = new Map<string, ort.InferenceSession>();
    const failures: string[] = [];
    let compared = 0;
    for (const [i, c] of reference.cases.entries()) {
      const file = path.join(reference.folders[c.folder] ?? "", c.graph);
      let session = sessions.get(file);
      if (!session) {
        session = await ort.InferenceSession.create(file);
        sessions.set(file, session);
      }
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, ref] of Object.entries(c.inputs)) feeds[name] = readArray(ref);
      expect(new Set(session.inputNames)).toEqual(new Set(Object.keys(c.inputs)));
      expect(new Set(session.outputNames)).toEqual(new Set(Object.keys(c.outputs)));
      const result = await session.run(feeds);
      for (const [name, ref] of Object.entries(c.outputs)) {
        const got = result[name];
        const want = readArray(ref);
        if (!got) {
          failures.push(`case ${i} ${c.folder}/${c.graph}: missing output ${name}`);
          continue;
        }
        if (JSON.stringify(got.dims) !== JSON.stringify(want.dims)) {
          failures.push(`case ${i} ${c.folder}/${c.graph} ${name}: dims ${got.dims} vs ${want.dims}`);
          continue;
        }
        const diff = maxAbsDiff(got, want);
        compared++;
        if (!(diff <= TOLERANCE))
          failures.push(`case ${i} ${c.folder}/${c.graph} ${name}: max abs diff ${diff}`);
      }
    }
    for (const s of sessions.values()) await s.release();
    expect(failures).toEqual([]);
    // vision 5 + embed 1 + encoder 3 + decoder 2x11 + projector 1 + llm embed 1 + llm 2x8 (full); stock 1+1+1+2x9
    expect(compared).toBeGreaterThanOrEqual(60);
  }, 120_000);
});
