/**
 * `npm run bench:answer`: decoding speed of a Florence-VL language model in the engine, with and without the
 * key/value cache, against transformers' `generate` on the same weights in the same run (bench/answer_torch.py).
 * The model is a random shrunk Phi-3.5-mini (llava_phi) checkpoint exported by fvl_export; the prompt is
 * Florence-VL's phi3 chat template with the 577 visual tokens of one image. Decoding tokens/s excludes the prompt:
 * (tokens(N) - 1) / (time(N new tokens) - time(1 new token)). Medians over repeats, then over rounds.
 * Writes bench/results/answer.json.
 *
 * `npm run bench:answer -- --model <folder> [--variant fp16|int8|int4]` measures an exported folder instead (e.g. a
 * full-size Florence-VL export): the engine alone, with the cache, one run without warm-up, into
 * bench/results/answer-<folder name>.json (and stdout); `--variant` defaults to what the engine picks.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import {
  answerQuestion,
  chatPromptIds,
  encodeImages,
  type LoadedModel,
  loadModel,
  ORT_VERSION,
  preprocessImage,
} from "~/lib/engine";
import type { Tensor } from "~/lib/tensor";
import { median } from "./median";

const ROOT = path.resolve(import.meta.dirname, "..");
const EXPORT_DIR = path.join(ROOT, "tools", "export");
const PYTHON = path.join(EXPORT_DIR, ".venv", "bin", "python");
const IMAGES_DIR = path.join(ROOT, "tests", "fixtures", "florence-vl-mini", "images");
const RESULTS = path.join(ROOT, "bench", "results", "answer.json");
// Both runtimes get the machine's cores (2 in CI) and run one after the other.
const THREADS = Math.max(1, os.availableParallelism());
const MAX_NEW_TOKENS = 32;
const REPEATS = 5;
const ROUNDS = 3;
const QUESTION = "Describe the image in detail.";

const run = promisify(execFile);

async function python(args: string[]): Promise<string> {
  const { stdout } = await run(PYTHON, args, {
    cwd: EXPORT_DIR,
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1", FVL_EXPORT_THREADS: String(THREADS) },
    maxBuffer: 1 << 24,
  });
  return stdout;
}

async function medianSeconds(
  work: () => Promise<unknown>,
  repeats = REPEATS,
  isWarmedUp = true,
): Promise<number> {
  if (isWarmedUp) await work(); // warm-up: allocator growth and first-run kernels are not steady state
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await work();
    times.push((performance.now() - started) / 1000);
  }
  return median(times);
}

async function engineRound(
  model: LoadedModel,
  visual: Tensor<Float32Array>,
  useCache: boolean,
  repeats = REPEATS,
  isWarmedUp = true,
) {
  const answer = (maxNewTokens: number) =>
    answerQuestion(model, visual, QUESTION, { grid: [24, 24], hasPooledToken: true, maxNewTokens, useCache });
  // Process CPU time (every thread) per run: on a shared machine it moves less with the other work than wall time.
  const runs = repeats + (isWarmedUp ? 1 : 0);
  let cpuStarted = cpuSeconds();
  const one = await medianSeconds(() => answer(1), repeats, isWarmedUp);
  const cpuOne = (cpuSeconds() - cpuStarted) / runs;
  let tokens = 0;
  cpuStarted = cpuSeconds();
  const many = await medianSeconds(
    async () => {
      tokens = (await answer(MAX_NEW_TOKENS)).tokenIds.length;
    },
    repeats,
    isWarmedUp,
  );
  const cpuMany = (cpuSeconds() - cpuStarted) / runs;
  return { seconds_1: one, seconds_n: many, tokens, cpu_seconds_1: cpuOne, cpu_seconds_n: cpuMany };
}

/** The fused (projected) visual tokens of the first fixture image: what the language model reads. */
async function visualTokens(model: LoadedModel): Promise<Tensor<Float32Array>> {
  const [imageFile] = await fs.readdir(IMAGES_DIR);
  const { pixelValues } = await preprocessImage(
    await fs.readFile(path.join(IMAGES_DIR, imageFile ?? "")),
    model.preprocess,
    { maxInputPixels: 1e8 },
  );
  const [image] = await encodeImages(model, [pixelValues], {
    prompts: [],
    includeStages: false,
    includeFused: true,
    includeAttention: false,
  });
  const visual = image?.sources.fused?.tensor;
  if (visual === undefined) throw new Error("no fused visual tokens");
  return visual;
}

const SESSION = {
  executionProvider: "cpu" as const,
  intraOpThreads: THREADS,
  interOpThreads: 1,
  allowSpinning: false,
};

/** One exported folder, engine only: load time, resident memory and decoding tokens/s with the cache. */
async function benchFolder(modelDir: string, variant: string | undefined): Promise<void> {
  const started = performance.now();
  const model = await loadModel(modelDir, { session: SESSION, languageModelVariant: variant });
  const loadSeconds = (performance.now() - started) / 1000;
  const loadRssMb = process.memoryUsage().rss / 2 ** 20;
  const visual = await visualTokens(model);
  // Full-size prompts take a minute on a CPU: one measured run each, no warm-up.
  const round = await engineRound(model, visual, true, 1, false);
  const result = {
    benchmark: "answer decoding of an exported folder, engine with its KV cache, CPU",
    model_dir: modelDir,
    variant: variant ?? model.languageModel?.variant,
    threads: THREADS,
    load_average_1m: os.loadavg()[0],
    load_seconds: loadSeconds,
    load_rss_mb: loadRssMb,
    rss_mb: process.memoryUsage().rss / 2 ** 20,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    prompt_tokens: promptTokens(model, visual),
    prompt_seconds: round.seconds_1,
    decode_tokens_per_s: decodeRate(round),
    decode_cpu_seconds_per_token: (round.cpu_seconds_n - round.cpu_seconds_1) / (round.tokens - 1),
    round,
  };
  await model.release();
  const file = path.join(path.dirname(RESULTS), `answer-${path.basename(modelDir)}.json`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function promptTokens(model: LoadedModel, visual: Tensor<Float32Array>): number {
  const { before, after } = chatPromptIds(model, QUESTION);
  return before.length + (visual.dims.at(-2) ?? 0) + after.length;
}

function decodeRate(round: { seconds_1: number; seconds_n: number; tokens: number }): number {
  return (round.tokens - 1) / (round.seconds_n - round.seconds_1);
}

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "bench-answer-"));
  try {
    const folders = JSON.parse(
      await python(["-m", "fvl_export.llm.testing", "--out", work, "--architecture", "phi3"]),
    ) as { checkpoint: string; tower_files: string };
    const modelDir = path.join(work, "model");
    await python([
      "-m",
      "fvl_export",
      "export",
      "--from",
      folders.checkpoint,
      "--tower-files",
      folders.tower_files,
      "--out",
      modelDir,
    ]);
    const model = await loadModel(modelDir, { session: SESSION });
    const visual = await visualTokens(model);
    const visualFile = path.join(work, "visual.f32");
    await fs.writeFile(
      visualFile,
      Buffer.from(visual.data.buffer, visual.data.byteOffset, visual.data.byteLength),
    );

    const engine = { with_cache: [] as number[], without_cache: [] as number[] };
    const rounds: unknown[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const cached = await engineRound(model, visual, true);
      const uncached = await engineRound(model, visual, false);
      engine.with_cache.push(decodeRate(cached));
      engine.without_cache.push(decodeRate(uncached));
      rounds.push({ with_cache: cached, without_cache: uncached });
    }
    await model.release();
    const torch = JSON.parse(
      await python([
        path.join(ROOT, "bench", "answer_torch.py"),
        "--checkpoint",
        folders.checkpoint,
        "--visual-tokens",
        visualFile,
        "--question",
        QUESTION,
        "--max-new-tokens",
        String(MAX_NEW_TOKENS),
        "--threads",
        String(THREADS),
        "--repeats",
        String(REPEATS),
        "--rounds",
        String(ROUNDS),
      ]),
    ) as { torch_version: string; rounds: { seconds_1: number; seconds_n: number; tokens: number }[] };
    const withCache = median(engine.with_cache);
    const withoutCache = median(engine.without_cache);
    const transformers = median(torch.rounds.map(decodeRate));
    const manifest = model.manifest as { llm?: Record<string, unknown> } | null;
    const result = {
      benchmark: "answer decoding, random shrunk Phi-3.5-mini (llava_phi) exported by fvl_export, fp32, CPU",
      model: Object.fromEntries(
        ["hidden", "layers", "heads", "kv_heads", "head_dim", "intermediate", "vocab_size"].map((k) => [
          k,
          manifest?.llm?.[k],
        ]),
      ),
      prompt_tokens: promptTokens(model, visual),
      max_new_tokens: MAX_NEW_TOKENS,
      threads: THREADS,
      // Other work on a shared machine slows both runtimes unevenly: the load says how quiet the run was.
      load_average_1m: os.loadavg()[0],
      repeats: REPEATS,
      rounds: ROUNDS,
      onnxruntime_node: ORT_VERSION,
      torch: torch.torch_version,
      decode_tokens_per_s: {
        engine_with_cache: withCache,
        engine_without_cache: withoutCache,
        transformers_generate: transformers,
      },
      cache_speedup: withCache / withoutCache,
      engine_vs_transformers: withCache / transformers,
      engine_rounds: rounds,
      transformers_rounds: torch.rounds,
    };
    await fs.mkdir(path.dirname(RESULTS), { recursive: true });
    await fs.writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result.decode_tokens_per_s, null, 2));
    console.log(
      `cache speed-up ${result.cache_speedup.toFixed(2)}x, engine vs transformers ${result.engine_vs_transformers.toFixed(2)}x → ${RESULTS}`,
    );
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { model: { type: "string" }, variant: { type: "string" } } });
if (values.model === undefined) await main();
else await benchFolder(path.resolve(values.model), values.variant);
