/**
 * `npm run bench:encode-real`: full encode (DaViT + the three Florence-VL prompts through the encoder + channel
 * fusion) of a full-size random Florence-2-large at 768² on CPU: Lens (onnxruntime-node on the fvl_export folder)
 * against transformers eager on the same checkpoint and pixels, in the same run (bench/encode_real_torch.py),
 * one after the other with all cores each. Writes bench/results/encode-real.json with medians over rounds.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encodeImages, loadModel, preprocessImage } from "~/lib/engine";
import { median } from "./median";
import { CACHE, CHECKPOINT, ensureLargeModel, MODEL, python } from "./real-large-model";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESULTS = path.join(ROOT, "bench", "results", "encode-real.json");
const IMAGE = path.join(ROOT, "tests", "fixtures", "florence-vl-mini", "images", "test-0000.png");
const THREADS = Math.max(1, os.availableParallelism());
// A full-size encode takes tens of seconds on a 2-core machine: a warm-up and three timed rounds per runtime.
const ROUNDS = 3;
const PROMPTS = ["<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>"];

async function main(): Promise<void> {
  await ensureLargeModel();
  const model = await loadModel(MODEL, {
    session: { executionProvider: "cpu", intraOpThreads: THREADS, interOpThreads: 1, allowSpinning: false },
  });
  const { pixelValues } = await preprocessImage(await fs.readFile(IMAGE), model.preprocess, {
    maxInputPixels: 1e8,
  });
  const pixelFile = path.join(CACHE, "bench-pixels.f32");
  await fs.writeFile(
    pixelFile,
    Buffer.from(pixelValues.buffer, pixelValues.byteOffset, pixelValues.byteLength),
  );
  const encode = () =>
    encodeImages(model, [pixelValues], {
      prompts: PROMPTS,
      includeStages: false,
      includeFused: true,
      includeAttention: false,
    });
  await encode(); // warm-up: session initialisation and allocator growth
  const lens: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await encode();
    lens.push((performance.now() - started) / 1000);
    console.error(`lens round ${round + 1}: ${lens.at(-1)?.toFixed(2)} s`);
  }
  await model.release();
  const torchOut = await python([
    path.join(ROOT, "bench", "encode_real_torch.py"),
    CHECKPOINT,
    pixelFile,
    String(ROUNDS),
    String(THREADS),
  ]);
  const transformers = (JSON.parse(torchOut.trim().split("\n").pop() ?? "{}") as { seconds: number[] })
    .seconds;
  const result = {
    model: "Florence-2-large (full size, random weights), 768x768, fp32, CPU",
    work: "vision tower + 3 prompts through the encoder (one batch) + channel concatenation",
    threads: THREADS,
    rounds: ROUNDS,
    lens_seconds: lens,
    transformers_eager_seconds: transformers,
    lens_median_s: median(lens),
    transformers_median_s: median(transformers),
    speedup: median(transformers) / median(lens),
    lens_images_per_s: 1 / median(lens),
    transformers_images_per_s: 1 / median(transformers),
  };
  await fs.mkdir(path.dirname(RESULTS), { recursive: true });
  await fs.writeFile(RESULTS, JSON.stringify(result, null, 1));
  console.log(
    `Lens ${result.lens_median_s.toFixed(2)} s/image (${result.lens_images_per_s.toFixed(3)} images/s), transformers eager ${result.transformers_median_s.toFixed(2)} s/image: ${result.speedup.toFixed(2)}x (goal >= 1.5)`,
  );
}

await main();
