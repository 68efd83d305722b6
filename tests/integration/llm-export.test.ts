/**
 * Florence-VL's language model, exported from random shrunk checkpoints (Phi-3.5-mini → llava_phi,
 * Llama-3.1-8B → llava_llama, with the exporter's random vision tower and projector) and run by the engine, against
 * transformers' Phi3ForCausalLM / LlamaForCausalLM on the same weights in the same test: prompt ids, logits and
 * last hidden states of a prompt with an image, greedy and beam answers, attention to the visual positions, and
 * the text features of captions.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answerQuestion,
  chatPromptIds,
  encodeImages,
  type LoadedModel,
  loadModel,
  preprocessImage,
  promptEmbeddings,
  textFeatures,
} from "~/lib/engine";
import { LanguageModelStepper, lastHiddenStates } from "~/lib/engine/language-model-stepper";
import type { Tensor } from "~/lib/tensor";
import { createInferenceClient } from "~/server/services/inference-client";
import { requireExportPython } from "../helpers/export-venv";
import { PARITY_FIXTURES_DIR } from "../helpers/mini-model-paths";
import { getFreePort, ROOT, startBin, waitUntil } from "../helpers/processes";

const TOLERANCE = 1e-4;
const SESSION = {
  executionProvider: "cpu" as const,
  intraOpThreads: 2,
  interOpThreads: 1,
  allowSpinning: false,
};
const MAX_NEW_TOKENS = 8;
const NUM_BEAMS = 3;
const QUESTIONS = [
  "What colour is the star?",
  "How many objects are there?",
  "Describe the image in detail.",
  "What does the text say?",
  "Is the circle on the left or on the right?",
];
const CAPTIONS = [
  "a red circle on the left.",
  "a blue square and a green triangle.",
  "the image shows a small yellow star at the top.",
  "text says hello.",
  "two large circles.",
  "a green square on the right of a red star.",
  "how many shapes are there?",
  "A chat between a curious user and an assistant.",
  "picture of a triangle, bottom left",
  "shapes",
];

interface Saved {
  file: string;
  dims: number[];
}
interface VariantEntry {
  weight_bytes: number;
  quality_vs_fp32?: { max_abs_logit_diff: number; relative_logit_rmse: number; top1_agreement: number };
}
interface Reference {
  stop_ids: number[];
  questions: {
    question: string;
    prompt_ids: number[];
    greedy: number[];
    beam: number[];
    prompt_logits?: Saved;
    prompt_hidden?: Saved;
    step_logits?: Saved;
    visual_attention?: Saved;
  }[];
  captions: { caption: string; ids: number[]; hidden: Saved }[];
}

function python(args: string[], timeout = 240_000): string {
  const run = spawnSync(requireExportPython(), args, {
    cwd: path.join(ROOT, "tools", "export"),
    encoding: "utf8",
    timeout,
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1", FVL_EXPORT_THREADS: "2" },
  });
  if (run.status !== 0)
    throw new Error(
      `${args.join(" ")} failed (${run.status}):\n${`${run.stderr}${run.error ?? ""}`.slice(-3000)}`,
    );
  return run.stdout;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] ?? 0) - (b[i] ?? 0));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}

for (const architecture of ["phi3", "llama"] as const) {
  describe(`Florence-VL language model (${architecture === "phi3" ? "llava_phi" : "llava_llama"})`, () => {
    let work = "";
    let modelDir = "";
    let checkpointDir = "";
    let model: LoadedModel;
    let visual: Tensor<Float32Array>;
    let imageBytes: Uint8Array<ArrayBuffer>;
    let reference: Reference;
    const saved = (ref: Saved | undefined): Float32Array => {
      if (ref === undefined) throw new Error("reference array missing");
      const bytes = fs.readFileSync(path.join(work, "reference", ref.file));
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    };

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), `fvl-llm-${architecture}-`));
      const folders = JSON.parse(
        python(["-m", "fvl_export.llm.testing", "--out", work, "--architecture", architecture]),
      ) as { checkpoint: string; tower_files: string };
      const out = path.join(work, "model");
      modelDir = out;
      checkpointDir = folders.checkpoint;
      // The user's command: runs the exporter, then validates the folder against the model-directory contract.
      const exported = spawnSync(
        process.execPath,
        [
          path.join(ROOT, "bin", "fvl.mjs"),
          "model",
          "export",
          "--from",
          folders.checkpoint,
          "--tower-files",
          folders.tower_files,
          "--out",
          out,
        ],
        { cwd: ROOT, encoding: "utf8", timeout: 240_000, env: { ...process.env, OPENBLAS_NUM_THREADS: "1" } },
      );
      if (exported.status !== 0) throw new Error(`fvl model export failed:\n${exported.stderr.slice(-3000)}`);
      expect(exported.stdout).toContain("language model: yes");
      model = await loadModel(out, { session: SESSION });
      const imagesDir = path.join(PARITY_FIXTURES_DIR, "images");
      imageBytes = new Uint8Array(fs.readFileSync(path.join(imagesDir, fs.readdirSync(imagesDir)[0] ?? "")));
      const { pixelValues } = await preprocessImage(imageBytes, model.preprocess, { maxInputPixels: 1e8 });
      const [image] = await encodeImages(model, [pixelValues], {
        prompts: [],
        includeStages: false,
        includeFused: true,
        includeAttention: false,
      });
      const fused = image?.sources.fused;
      if (fused === undefined) throw new Error("no fused features");
      visual = fused.tensor;
      fs.writeFileSync(
        path.join(work, "visual.f32"),
        Buffer.from(visual.data.buffer, visual.data.byteOffset, visual.data.byteLength),
      );
      const request = {
        visual_tokens: path.join(work, "visual.f32"),
        questions: QUESTIONS,
        captions: CAPTIONS,
        max_new_tokens: MAX_NEW_TOKENS,
        num_beams: NUM_BEAMS,
      };
      fs.writeFileSync(path.join(work, "request.json"), JSON.stringify(request));
      python([
        "-m",
        "fvl_export.llm.reference",
        "--checkpoint",
        folders.checkpoint,
        "--request",
        path.join(work, "request.json"),
        "--out",
        path.join(work, "reference"),
      ]);
      reference = JSON.parse(
        fs.readFileSync(path.join(work, "reference", "reference.json"), "utf8"),
      ) as Reference;
    }, 300_000);

    afterAll(async () => {
      await model?.release();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("tokenizes the chat prompt as Florence-VL's tokenizer_image_token", () => {
      for (const entry of reference.questions) {
        const { before, after } = chatPromptIds(model, entry.question);
        expect([...before, -200, ...after]).toEqual(entry.prompt_ids);
      }
    });

    it("gives transformers' logits and last hidden states for a prompt with an image, and at every step", async () => {
      const first = reference.questions[0];
      if (first === undefined || model.languageModel === null) throw new Error("no reference");
      const { embeds } = await promptEmbeddings(model, visual, first.question);
      const hidden = await lastHiddenStates(model.languageModel, embeds);
      expect(hidden.dims).toEqual([1, ...(first.prompt_hidden?.dims ?? [])]);
      expect(maxAbsDiff(hidden.data, saved(first.prompt_hidden))).toBeLessThan(TOLERANCE);
      const embed = async (ids: readonly number[], rows: number) => {
        const out = await model.languageModel?.embedTokens.run({
          input_ids: { data: BigInt64Array.from(ids, BigInt), dims: [rows, ids.length / rows] },
        });
        if (out?.inputs_embeds === undefined) throw new Error("no embeddings");
        return out.inputs_embeds;
      };
      const stepper = new LanguageModelStepper(model.languageModel, embeds, embed, true);
      const steps = saved(first.step_logits);
      const vocab = stepper.vocabSize;
      let logits = await stepper.first(1);
      expect(maxAbsDiff(logits, saved(first.prompt_logits))).toBeLessThan(TOLERANCE);
      for (const [t, token] of first.greedy.entries()) {
        expect(maxAbsDiff(logits, steps.subarray(t * vocab, (t + 1) * vocab))).toBeLessThan(TOLERANCE);
        if (t < first.greedy.length - 1) logits = await stepper.next([token], [0]);
      }
    });

    it("answers 5 questions with transformers' greedy and beam token ids", async () => {
      for (const entry of reference.questions) {
        const options = {
          grid: [24, 24] as [number, number],
          hasPooledToken: true,
          maxNewTokens: MAX_NEW_TOKENS,
        };
        const greedy = await answerQuestion(model, visual, entry.question, options);
        expect(greedy.tokenIds).toEqual(entry.greedy);
        const beam = await answerQuestion(model, visual, entry.question, { ...options, numBeams: NUM_BEAMS });
        expect(beam.tokenIds).toEqual(entry.beam);
      }
    });

    it("gives transformers' attention from answer tokens to the visual positions", async () => {
      const first = reference.questions[0];
      if (first === undefined) throw new Error("no reference");
      const answer = await answerQuestion(model, visual, first.question, {
        grid: [24, 24],
        hasPooledToken: true,
        maxNewTokens: MAX_NEW_TOKENS,
      });
      const grids = answer.visualAttention;
      if (grids === null) throw new Error("the export has attention outputs");
      const [steps = 0, layers = 0, heads = 0, tokens = 0] = first.visual_attention?.dims ?? [];
      expect([grids.layers, grids.heads, grids.queries.length]).toEqual([layers, heads, steps]);
      const expected = saved(first.visual_attention);
      let worst = 0;
      for (let s = 0; s < steps; s++)
        for (let l = 0; l < layers; l++)
          for (let h = 0; h < heads; h++) {
            // The grid skips the pooled token (visual position 0).
            const ref = expected.subarray(
              ((s * layers + l) * heads + h) * tokens + 1,
              ((s * layers + l) * heads + h + 1) * tokens,
            );
            const got = grids.data.subarray(
              ((l * heads + h) * steps + s) * (tokens - 1),
              ((l * heads + h) * steps + s + 1) * (tokens - 1),
            );
            worst = Math.max(worst, maxAbsDiff(got, ref));
          }
      expect(worst).toBeLessThan(TOLERANCE);
    });

    it("states each weight variant's size and quality change; fp16, int8 and int4 stay close to transformers", async () => {
      const first = reference.questions[0];
      const variants = model.manifest?.llm?.variants as Record<string, VariantEntry> | undefined;
      const fp32 = variants?.fp32;
      if (first === undefined || fp32 === undefined) throw new Error("no fp32 variant");
      // Fewer bits, larger measured change.
      const rmse = (name: string) => variants?.[name]?.quality_vs_fp32?.relative_logit_rmse ?? Number.NaN;
      expect(rmse("fp16")).toBeLessThan(rmse("int8"));
      expect(rmse("int8")).toBeLessThan(rmse("int4"));
      const errors: number[] = [];
      // [variant, size against fp32 (weights + one float32 scale per block of 32), hidden-state bound]
      for (const [name, size, bound] of [
        ["fp16", 0.55, 0.05],
        ["int8", 0.3, 0.5],
        ["int4", 0.18, 3],
      ] as const) {
        const entry = variants?.[name];
        expect(entry?.weight_bytes).toBeLessThan(fp32.weight_bytes * size);
        expect(entry?.quality_vs_fp32?.max_abs_logit_diff).toBeGreaterThan(0);
        const variant = await loadModel(modelDir, { session: SESSION, languageModelVariant: name });
        try {
          if (variant.languageModel === null) throw new Error("no language model");
          const { embeds } = await promptEmbeddings(variant, visual, first.question);
          const hidden = await lastHiddenStates(variant.languageModel, embeds);
          const error = maxAbsDiff(hidden.data, saved(first.prompt_hidden));
          errors.push(error);
          expect(error).toBeGreaterThan(0);
          expect(error).toBeLessThan(bound);
        } finally {
          await variant.release();
        }
      }
      const [fp16Error = 0, int8Error = 0, int4Error = 0] = errors;
      expect(fp16Error).toBeLessThan(int8Error);
      expect(int8Error).toBeLessThan(int4Error);
    });

    it("answers without attention maps from a decoder exported without attention outputs", async () => {
      const plainDir = path.join(work, "model-without-attention");
      fs.cpSync(modelDir, plainDir, { recursive: true });
      python([
        "-c",
        `from pathlib import Path; from fvl_export.llm.testing import strip_attention_outputs; strip_attention_outputs(Path(${JSON.stringify(plainDir)}))`,
      ]);
      const plain = await loadModel(plainDir, { session: SESSION });
      try {
        expect(plain.languageModel?.decoder.outputs.some((o) => o.name.startsWith("attentions."))).toBe(
          false,
        );
        const first = reference.questions[0];
        if (first === undefined) throw new Error("no reference");
        const answer = await answerQuestion(plain, visual, first.question, {
          grid: [24, 24],
          hasPooledToken: true,
          maxNewTokens: MAX_NEW_TOKENS,
        });
        expect(answer.tokenIds).toEqual(first.greedy);
        expect(answer.visualAttention).toBeNull();
      } finally {
        await plain.release();
      }
    });

    // Multi-GB checkpoints get their weights as ONNX external data: the same path, forced on the small model.
    if (architecture === "phi3")
      it("loads language-model graphs whose weights are ONNX external data", async () => {
        const externalDir = path.join(work, "model-external-data");
        fs.cpSync(modelDir, externalDir, { recursive: true });
        python([
          "-c",
          `from pathlib import Path; from fvl_export.llm.testing import reexport_with_external_data; reexport_with_external_data(Path(${JSON.stringify(externalDir)}), Path(${JSON.stringify(checkpointDir)}))`,
        ]);
        const graphBytes = fs.statSync(path.join(externalDir, "onnx", "llm_decoder.onnx")).size;
        const dataBytes = fs.statSync(path.join(externalDir, "onnx", "llm_decoder.onnx_data")).size;
        expect(graphBytes).toBeLessThan(dataBytes / 10);
        const external = await loadModel(externalDir, { session: SESSION });
        try {
          const first = reference.questions[0];
          if (first === undefined || external.languageModel === null) throw new Error("no language model");
          const { embeds } = await promptEmbeddings(external, visual, first.question);
          const hidden = await lastHiddenStates(external.languageModel, embeds);
          expect(maxAbsDiff(hidden.data, saved(first.prompt_hidden))).toBeLessThan(TOLERANCE);
        } finally {
          await external.release();
        }
      });

    // One architecture is enough to show the server's code paths run an exported folder as they run the bundled one.
    if (architecture === "phi3")
      it("serves live questions and caption features of the exported folder from the inference server", async () => {
        const port = await getFreePort();
        const server = startBin("tsx", ["server/inference/main.ts"], {
          INFERENCE_PORT: String(port),
          MODEL_DIR: modelDir,
        });
        try {
          const client = createInferenceClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 60_000 });
          await waitUntil(
            async () => (await client.health.query().catch(() => null))?.model.state === "ready",
            60_000,
            `model ready (${server.output()})`,
          );
          expect((await client.health.query()).model).toMatchObject({ state: "ready", kind: "florence-vl" });
          const question = QUESTIONS[1] ?? "";
          const served = await client.answer.mutate({
            image: { name: "scene.png", bytes: imageBytes },
            question,
          });
          const direct = await answerQuestion(model, visual, question, {
            grid: [24, 24],
            hasPooledToken: true,
          });
          expect(served.tokenIds).toEqual(direct.tokenIds);
          expect(served.visualAttention?.queries).toHaveLength(direct.tokenIds.length);
          const [features] = await client.textFeatures.mutate({ texts: [CAPTIONS[0] ?? ""] });
          expect(
            maxAbsDiff(features?.data ?? new Float32Array(0), saved(reference.captions[0]?.hidden)),
          ).toBeLessThan(TOLERANCE);
        } finally {
          await server.stop();
        }
      });

    it("gives transformers' last hidden states as the text features of 10 captions", async () => {
      for (const entry of reference.captions) {
        const features = await textFeatures(model, entry.caption);
        expect(features.dims).toEqual(entry.hidden.dims);
        expect(maxAbsDiff(features.data, saved(entry.hidden))).toBeLessThan(TOLERANCE);
      }
    });
  });
}
