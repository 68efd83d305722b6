/**
 * `npm run bench:encode`: full encode (vision tower + the three Florence-VL prompts through the encoder + DBFusion
 * projector) of the bundled Florence-VL-mini with onnxruntime-node, against the same weights in PyTorch measured in
 * the same run (bench/encode_torch.py), at batch sizes 1 and 8; plus Florence-2 answer decoding speed with and
 * without the key/value cache; plus the end-to-end figure: the 300 demo images from their PNG bytes through the
 * engine path the inference server runs (preprocess, encodeImages, answerEncodedImages: the three task answers
 * and the demo run's two questions, batched) against the training code's pipeline in PyTorch
 * (bench/encode_pipeline_torch.py), in alternating rounds. Writes bench/results/encode.json. Medians of repeated
 * runs; this machine is noisy.
 *
 * `--only pipeline|encode` runs one part (the other part's figures are kept from the last results file);
 * `--pipeline-rounds N` (default 3) sets the end-to-end rounds.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import {
  answerEncodedImages,
  answerTask,
  encodeImages,
  type LoadedModel,
  loadModel,
  type PreprocessedImage,
  preprocessImage,
} from "~/lib/engine";
import { type GemmPeak, measureGemmPeak } from "./gemm-peak";
import { median } from "./median";

const ROOT = path.resolve(import.meta.dirname, "..");
const MODEL_DIR = path.join(ROOT, "models", "florence-vl-mini");
const IMAGES_DIR = path.join(ROOT, "tests", "fixtures", "florence-vl-mini", "images");
const DEMO_DIR = path.join(ROOT, "demo", "florence-vl-mini-scenes");
// The demo run's questions (server/services/runs/run-settings.ts DEFAULT_QUESTIONS).
const QUESTIONS = ["How many objects are there?", "What word is written in the image?"];
// Images per engine call in the end-to-end figure, on both sides (fvl encode takes --batch-size up to 64).
const PIPELINE_BATCH = 16;
const RESULTS = path.join(ROOT, "bench", "results", "encode.json");
// Both runtimes get the machine's cores (2 in CI) and nothing else runs during the measurement.
const THREADS = Math.max(1, os.availableParallelism());
const REPEATS = 7;
const ROUNDS = 3;
// Repeats per size of the GEMM peak (each 2048² product is ~17 GFLOP).
const GEMM_REPEATS = 5;
const BATCH_SIZES = [1, 8] as const;
const PROMPTS = ["<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>"];

async function timeIt(work: () => Promise<unknown>, repeats: number): Promise<number[]> {
  await work(); // warm-up: session initialisation and allocator growth are not part of steady state
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await work();
    times.push((performance.now() - started) / 1000);
  }
  return times;
}

async function encodeThroughput(model: LoadedModel, pixels: Float32Array[], batch: number): Promise<number> {
  const inputs = Array.from({ length: batch }, (_, i) => pixels[i % pixels.length] as Float32Array);
  const times = await timeIt(
    () =>
      encodeImages(model, inputs, {
        prompts: PROMPTS,
        includeStages: false,
        includeFused: true,
        includeAttention: false,
      }),
    REPEATS,
  );
  return batch / median(times);
}

async function answerTokensPerSecond(
  model: LoadedModel,
  pixels: Float32Array,
  useCache: boolean,
): Promise<number> {
  const [image] = await encodeImages(model, [pixels], {
    prompts: ["<DETAILED_CAPTION>"],
    includeStages: false,
    includeFused: false,
    includeAttention: false,
  });
  const state = image?.encoder[0];
  if (image === undefined || state === undefined) throw new Error("encode failed");
  const geometry = {
    width: 192,
    height: 192,
    grid: image.grid,
    hasPooledToken: true,
    imageTokens: image.imageTokenCount,
  };
  let tokens = 0;
  const times = await timeIt(async () => {
    const answer = await answerTask(model, state, geometry, { numBeams: 1, useCache });
    tokens = answer.tokenIds.length;
  }, REPEATS);
  return tokens / median(times);
}

async function torchReference(
  pixels: Float32Array[],
  size: number,
): Promise<{
  torch_version: string;
  images_per_s: Record<string, number>;
  gemm_gflops: number;
  model_gflop_per_image: number;
}> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "bench-encode-"));
  try {
    const file = path.join(scratch, "pixels.bin");
    const all = new Float32Array(pixels.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of pixels) {
      all.set(p, offset);
      offset += p.length;
    }
    await fs.writeFile(file, Buffer.from(all.buffer));
    const { stdout } = await promisify(execFile)(
      "/usr/bin/python3",
      [
        path.join(ROOT, "bench", "encode_torch.py"),
        "--weights",
        path.join(MODEL_DIR, "pytorch"),
        "--tokenizer",
        path.join(MODEL_DIR, "tokenizer.json"),
        "--pixels",
        file,
        "--size",
        String(size),
        "--threads",
        String(THREADS),
        "--repeats",
        String(REPEATS),
      ],
      { env: { ...process.env, OPENBLAS_NUM_THREADS: "1" }, maxBuffer: 1 << 20 },
    );
    return JSON.parse(stdout);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** The demo images end to end through the engine path of the inference server: images/s. */
async function lensPipeline(
  model: LoadedModel,
  files: readonly string[],
): Promise<{ images_per_s: number; tokens: number }> {
  const bytes = await Promise.all(files.map((file) => fs.readFile(file)));
  const batchOf = async (chunk: readonly Buffer[]) => {
    const pre: PreprocessedImage[] = [];
    for (const image of chunk)
      pre.push(await preprocessImage(image, model.preprocess, { maxInputPixels: 1e8 }));
    const encoded = await encodeImages(
      model,
      pre.map((p) => p.pixelValues),
      { prompts: PROMPTS, includeStages: false, includeFused: true, includeAttention: false },
    );
    const answered = await answerEncodedImages(
      model,
      encoded.map((item, i) => ({ encoded: item, ...(pre[i]?.original ?? { width: 0, height: 0 }) })),
      { prompts: PROMPTS, includeTaskAnswers: true, questions: QUESTIONS, decoding: {} },
    );
    return answered.reduce(
      (n, a) => n + [...a.tasks, ...a.answers].reduce((m, answer) => m + answer.tokenIds.length, 0),
      0,
    );
  };
  await batchOf(bytes.slice(0, PIPELINE_BATCH)); // warm-up, as on the PyTorch side
  const started = performance.now();
  let tokens = 0;
  for (let i = 0; i < bytes.length; i += PIPELINE_BATCH)
    tokens += await batchOf(bytes.slice(i, i + PIPELINE_BATCH));
  return { images_per_s: bytes.length / ((performance.now() - started) / 1000), tokens };
}

async function torchPipeline(
  threads: number,
): Promise<{ images_per_s: number; tokens: number; torch_version: string }> {
  const { stdout } = await promisify(execFile)(
    "/usr/bin/python3",
    [
      path.join(ROOT, "bench", "encode_pipeline_torch.py"),
      ...[
        "--weights",
        path.join(MODEL_DIR, "pytorch"),
        "--tokenizer",
        path.join(MODEL_DIR, "tokenizer.json"),
      ],
      ...["--images", DEMO_DIR, "--batch", String(PIPELINE_BATCH), "--threads", String(threads)],
      ...QUESTIONS.flatMap((q) => ["--question", q]),
    ],
    { env: { ...process.env, OPENBLAS_NUM_THREADS: "1" }, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout);
}

/** Alternating rounds of the end-to-end figure, both runtimes on the machine's cores. */
async function pipelineRounds(model: LoadedModel, rounds: number) {
  const files = (await fs.readdir(DEMO_DIR))
    .filter((f) => f.endsWith(".png"))
    .sort()
    .map((f) => path.join(DEMO_DIR, f));
  const measured: { lens: number; torch: number; load_average_1m: number }[] = [];
  let torchVersion = "";
  let tokens = { lens: 0, torch: 0 };
  for (let round = 0; round < rounds; round++) {
    const lens = await lensPipeline(model, files);
    const torch = await torchPipeline(THREADS);
    torchVersion = torch.torch_version;
    tokens = { lens: lens.tokens, torch: torch.tokens };
    measured.push({
      lens: lens.images_per_s,
      torch: torch.images_per_s,
      load_average_1m: os.loadavg()[0] ?? 0,
    });
  }
  return {
    images: files.length,
    batch: PIPELINE_BATCH,
    questions: QUESTIONS,
    images_per_s: median(measured.map((r) => r.lens)),
    torch_images_per_s: median(measured.map((r) => r.torch)),
    ratio: median(measured.map((r) => r.lens / r.torch)),
    answer_tokens: tokens,
    torch_version: torchVersion,
    rounds: measured,
  };
}

/** The features-only figure: alternating rounds of Lens and PyTorch at each batch size, and the GEMM peak. */
async function encodePart(model: LoadedModel) {
  const files = (await fs.readdir(IMAGES_DIR)).filter((f) => f.endsWith(".png")).sort();
  const pixels: Float32Array[] = [];
  for (const file of files) {
    const { pixelValues } = await preprocessImage(
      await fs.readFile(path.join(IMAGES_DIR, file)),
      model.preprocess,
      { maxInputPixels: 1e8 },
    );
    pixels.push(pixelValues);
  }
  // The machine's speed drifts (shared VM): lens and PyTorch are measured in alternating rounds, and the ratio is
  // the median of the rounds' ratios, so a slow spell hits both sides of a ratio alike.
  const rounds: {
    lens: Record<string, number>;
    torch: Awaited<ReturnType<typeof torchReference>>;
    gemm: GemmPeak;
  }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const lens: Record<string, number> = {};
    for (const batch of BATCH_SIZES) lens[batch] = await encodeThroughput(model, pixels, batch);
    const torch = await torchReference(pixels, model.preprocess.height);
    rounds.push({ lens, torch, gemm: await measureGemmPeak(THREADS, GEMM_REPEATS) });
  }
  const cache = await answerTokensPerSecond(model, pixels[0] as Float32Array, true);
  const noCache = await answerTokensPerSecond(model, pixels[0] as Float32Array, false);

  const best = (rates: Record<string, number>) => Math.max(...Object.values(rates));
  const imagesPerS = median(rounds.map((r) => best(r.lens)));
  const torchImagesPerS = median(rounds.map((r) => best(r.torch.images_per_s)));
  // percent_of_peak divides by the best GEMM the machine reached (ONNX Runtime or OpenBLAS, up to 2048²);
  // PyTorch's own 1024² matmul is kept beside it.
  const gemmGflops = median(rounds.map((r) => r.gemm.gflops));
  const last = rounds.at(-1)?.torch;
  if (last === undefined) throw new Error("no rounds");
  const result = {
    images_per_s: imagesPerS,
    torch_images_per_s: torchImagesPerS,
    ratio: median(rounds.map((r) => best(r.lens) / best(r.torch.images_per_s))),
    by_batch: Object.fromEntries(
      BATCH_SIZES.map((b) => {
        const lens = median(rounds.map((r) => r.lens[b] ?? 0));
        const torch = median(rounds.map((r) => r.torch.images_per_s[b] ?? 0));
        return [
          b,
          {
            lens,
            torch,
            ratio: median(rounds.map((r) => (r.lens[b] ?? 0) / (r.torch.images_per_s[b] ?? 1))),
          },
        ];
      }),
    ),
    rounds: rounds.map((r) => ({ lens: r.lens, torch: r.torch.images_per_s })),
    gemm_gflops: gemmGflops,
    gemm_peak_rounds: rounds.map((r) => r.gemm),
    torch_gemm_1024_gflops: median(rounds.map((r) => r.torch.gemm_gflops)),
    model_gflop_per_image: last.model_gflop_per_image,
    percent_of_peak: (100 * imagesPerS * last.model_gflop_per_image) / gemmGflops,
    answer_tokens_per_s_cache: cache,
    answer_tokens_per_s_nocache: noCache,
    settings: {
      threads: THREADS,
      repeats: REPEATS,
      rounds: ROUNDS,
      statistic: "median of repeats within a round, then median over rounds",
      torch_version: last.torch_version,
      images: files.length,
    },
  };
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: "string" }, "pipeline-rounds": { type: "string", default: "3" } },
  });
  const previous = JSON.parse(await fs.readFile(RESULTS, "utf8").catch(() => "{}")) as Record<
    string,
    unknown
  >;
  const model = await loadModel(MODEL_DIR, {
    session: { executionProvider: "cpu", intraOpThreads: THREADS, interOpThreads: 1, allowSpinning: false },
  });
  const features = values.only === "pipeline" ? previous : await encodePart(model);
  const pipeline =
    values.only === "encode"
      ? previous.pipeline
      : await pipelineRounds(model, Number(values["pipeline-rounds"]));
  await model.release();
  // Other work on a shared machine slows both runtimes unevenly: the load says how quiet the run was.
  const result = { ...features, pipeline, load_average_1m: os.loadavg()[0] };
  await fs.mkdir(path.dirname(RESULTS), { recursive: true });
  await fs.writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

void main();
