/**
 * `npm run bench:encode-real [-- --rounds N] [--profile]`: full encode (DaViT + the three Florence-VL prompts through the
 * encoder + channel fusion) of a full-size random Florence-2-large at 768² on CPU: Lens (onnxruntime-node on the
 * fvl_export folder) against transformers eager on the same checkpoint and pixels (bench/encode_real_torch.py),
 * with the same thread count. Both models stay loaded and the rounds alternate (Lens, then transformers), so a
 * slow spell of this shared machine hits both sides of a round alike; the speedup is reported as the median and the
 * minimum of the rounds' ratios, with per-stage times (vision, encoder, fusion). Writes
 * bench/results/encode-real.json; `--profile` then writes where the time goes per operator on both sides
 * (bench/encode_real_profile.py) to bench/results/encode-real-profile.json.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { parseArgs, promisify } from "node:util";
import { encodeImages, loadModel, preprocessImage } from "~/lib/engine";
import { median } from "./median";
import { CACHE, CHECKPOINT, EXPORT_DIR, EXPORT_PYTHON, ensureLargeModel, MODEL } from "./real-large-model";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESULTS = path.join(ROOT, "bench", "results", "encode-real.json");
const PROFILE = path.join(ROOT, "bench", "results", "encode-real-profile.json");
const IMAGE = path.join(ROOT, "tests", "fixtures", "florence-vl-mini", "images", "test-0000.png");
const THREADS = Math.max(1, os.availableParallelism());
// A full-size encode takes about a minute per runtime on a 2-core machine: five alternating rounds after a warm-up.
const DEFAULT_ROUNDS = 5;
const PROMPTS = ["<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>"];

interface RoundTimes {
  total_s: number;
  vision_s: number;
  encoder_s: number;
  fusion_s: number;
}

/** transformers in its own process, answering one timed encode per request. */
async function startTransformers(pixelFile: string) {
  const child = spawn(
    EXPORT_PYTHON,
    [path.join(ROOT, "bench", "encode_real_torch.py"), CHECKPOINT, pixelFile, String(THREADS)],
    {
      cwd: EXPORT_DIR,
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error("encode_real_torch.py ended early");
    return JSON.parse(line.value);
  };
  await next(); // {"ready": true} after loading and a warm-up encode
  return {
    round: async (): Promise<RoundTimes> => {
      child.stdin.write("round\n");
      return next();
    },
    stop: () => child.stdin.end(),
  };
}

const stat = (values: readonly number[]) => ({ median: median(values), min: Math.min(...values) });

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: "string" }, profile: { type: "boolean" } } });
  const rounds = Number(values.rounds ?? DEFAULT_ROUNDS);
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
  const encode = async (): Promise<RoundTimes> => {
    const started = performance.now();
    const [image] = await encodeImages(model, [pixelValues], {
      prompts: PROMPTS,
      includeStages: false,
      includeFused: true,
      includeAttention: false,
    });
    const total = (performance.now() - started) / 1000;
    const stages = image?.stageMs ?? { vision: Number.NaN, encoder: Number.NaN, fusion: Number.NaN };
    return {
      total_s: total,
      vision_s: stages.vision / 1000,
      encoder_s: stages.encoder / 1000,
      fusion_s: stages.fusion / 1000,
    };
  };
  await encode(); // warm-up: session initialisation and allocator growth
  const transformers = await startTransformers(pixelFile);
  const lens: RoundTimes[] = [];
  const torch: RoundTimes[] = [];
  const load: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      load.push(os.loadavg()[0] ?? Number.NaN);
      lens.push(await encode());
      torch.push(await transformers.round());
      console.error(
        `round ${round + 1}/${rounds}: Lens ${lens.at(-1)?.total_s.toFixed(2)} s, transformers ${torch.at(-1)?.total_s.toFixed(2)} s (load ${load.at(-1)?.toFixed(2)})`,
      );
    }
  } finally {
    transformers.stop();
    await model.release();
  }
  const ratios = lens.map((l, i) => (torch[i]?.total_s ?? Number.NaN) / l.total_s);
  const stages = (times: RoundTimes[]) => ({
    rounds: times,
    total_s: stat(times.map((t) => t.total_s)),
    vision_s: stat(times.map((t) => t.vision_s)),
    encoder_s: stat(times.map((t) => t.encoder_s)),
    fusion_s: stat(times.map((t) => t.fusion_s)),
  });
  const result = {
    model: "Florence-2-large (full size, random weights), 768x768, fp32, CPU",
    work: "vision tower + 3 prompts through the encoder (one batch) + channel concatenation",
    threads: THREADS,
    rounds,
    load_average_1m: stat(load),
    lens: stages(lens),
    transformers_eager: stages(torch),
    speedup: { per_round: ratios, ...stat(ratios) },
    lens_images_per_s: 1 / median(lens.map((t) => t.total_s)),
    transformers_images_per_s: 1 / median(torch.map((t) => t.total_s)),
  };
  await fs.mkdir(path.dirname(RESULTS), { recursive: true });
  await fs.writeFile(RESULTS, JSON.stringify(result, null, 1));
  console.log(
    `Lens ${result.lens.total_s.median.toFixed(2)} s/image (${result.lens_images_per_s.toFixed(4)} images/s; vision ${result.lens.vision_s.median.toFixed(2)} s, encoder ${result.lens.encoder_s.median.toFixed(2)} s), ` +
      `transformers eager ${result.transformers_eager.total_s.median.toFixed(2)} s/image (vision ${result.transformers_eager.vision_s.median.toFixed(2)} s, encoder ${result.transformers_eager.encoder_s.median.toFixed(2)} s): ` +
      `speedup median ${result.speedup.median.toFixed(2)}x, min ${result.speedup.min.toFixed(2)}x over ${rounds} rounds (goal >= 1.5; load average ${result.load_average_1m.median.toFixed(2)})`,
  );
  if (values.profile) {
    await promisify(execFile)(
      EXPORT_PYTHON,
      [path.join(ROOT, "bench", "encode_real_profile.py"), MODEL, CHECKPOINT, String(THREADS), PROFILE],
      { cwd: EXPORT_DIR, env: { ...process.env, OPENBLAS_NUM_THREADS: "1" }, maxBuffer: 64 * 1024 * 1024 },
    );
    console.log(`per-operator profile: ${path.relative(ROOT, PROFILE)}`);
  }
}

await main();
