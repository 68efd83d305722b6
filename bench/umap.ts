// UMAP benchmark, baselines measured in the same run on the same data with the same n_neighbors / min_dist /
// epochs: (1) Lens (HNSW neighbours + typed-array umap-js pipeline, on every core) against plain umap-js on
// 20,000 × 256; (2) Lens against umap-learn (pinned in tools/bench/.venv, installed on first use) on Gaussian
// mixtures of 70,000 × 784 and 100,000 × 128, both layouts scored by the same
// trustworthiness code (lib/analysis projectionQuality); (3) with --million, Lens alone on 1,000,000 × 128 in a
// process of its own (so its peak RSS is its own), against the goal of 10 minutes within 8 GB. Writes
// bench/results/umap.json.
// Usage: npm run bench:umap [-- --repeats 3 --n 20000 --sizes 70000x784,100000x128 --million] (--n 0: no umap-js,
// --sizes "": no umap-learn sizes)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { UMAP } from "umap-js";
import { createPrng, projectionQuality, umapNeighbors, umapProject } from "~/lib/analysis";
import { decodeNpy, encodeNpy } from "~/lib/codec";
import type { Tensor } from "~/lib/tensor";
import { median } from "./median";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    n: { type: "string", default: "20000" },
    sizes: { type: "string", default: "70000x784,100000x128" },
    million: { type: "boolean", default: false },
    repeats: { type: "string", default: "1" },
    "knn-dims": { type: "string", default: "64" },
    // Internal: the child process of --million.
    "million-run": { type: "boolean", default: false },
  },
});
const N = Number(args.n);
const REPEATS = Number(args.repeats);
const UMAP_JS_DIM = 256;
const SIZES = args.sizes
  .split(",")
  .filter(Boolean)
  .map((size) => {
    const [n, dim] = size.split("x").map(Number);
    if (!n || !dim) throw new Error(`--sizes takes NxDIM[,NxDIM...], got ${size}`);
    return { n, dim };
  });
// A Gaussian mixture whose clusters touch (centre spread 1.5 σ per axis), so neighbourhoods are not trivial.
const CLUSTERS = 32;
const CENTRE_SPREAD = 1.5;
const PARAMS = { nNeighbors: 15, minDist: 0.1, epochs: 200, seed: 42 };
// Both sides get every core of the machine.
const THREADS = os.availableParallelism();
// Lens searches neighbours in the top principal subspace (umapProject's default, 64 dims); `--knn-dims 0`
// measures the search in the full space instead.
const KNN_DIMS = Number(args["knn-dims"]) || null;
// Trustworthiness needs every query's full original-space ranking (O(n·dim) per query): a fixed seeded sample
// of 1,000 query points against all n points estimates it without bias; every layout uses the same sample.
const QUALITY = { k: 15, sampleSize: 1000, seed: 7 };
// A million points: each trustworthiness query scans all 10^6 × 128 values, so 300 queries (about a minute).
const MILLION = { n: 1_000_000, dim: 128, qualitySampleSize: 300, goalSeconds: 600, goalRssMb: 8192 };
const PYTHON = path.join(ROOT, "tools", "bench", ".venv", "bin", "python");

function gaussianMixture(n: number, dim: number, seed: number): Tensor<Float32Array> {
  const prng = createPrng(seed);
  const centres = new Float64Array(CLUSTERS * dim).map(() => prng.nextGaussian() * CENTRE_SPREAD);
  const data = new Float32Array(n * dim); // [n, dim]
  for (let i = 0; i < n; i++) {
    const c = prng.nextInt(CLUSTERS);
    for (let j = 0; j < dim; j++) data[i * dim + j] = (centres[c * dim + j] as number) + prng.nextGaussian();
  }
  return { data, dims: [n, dim] };
}

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function runLens(x: Tensor<Float32Array>) {
  const start = performance.now();
  const cpuStart = cpuSeconds();
  const knn = umapNeighbors(x, { ...PARAMS, knnDims: KNN_DIMS, threads: THREADS });
  const knnSeconds = seconds(start);
  const knnCpuSeconds = cpuSeconds() - cpuStart;
  // The rest: fuzzy graph (a fraction of a second per 100k points) and the layout epochs.
  const { embedding } = umapProject(x, { ...PARAMS, knnDims: KNN_DIMS, threads: THREADS, knn });
  return {
    seconds: seconds(start),
    cpuSeconds: cpuSeconds() - cpuStart,
    knnSeconds,
    knnCpuSeconds,
    layoutSeconds: seconds(start) - knnSeconds,
    embedding,
  };
}

function runUmapJs(x: Tensor<Float32Array>) {
  // umap-js takes number[][]; the conversion is part of using it, so it is timed.
  const start = performance.now();
  const dim = x.dims[1] as number;
  const rows = Array.from({ length: x.dims[0] as number }, (_, i) =>
    Array.from(x.data.subarray(i * dim, (i + 1) * dim)),
  );
  const umap = new UMAP({
    nNeighbors: PARAMS.nNeighbors,
    minDist: PARAMS.minDist,
    nEpochs: PARAMS.epochs,
    random: createPrng(PARAMS.seed).next,
  });
  const layout = umap.fit(rows);
  const embedding = { data: Float64Array.from(layout.flat()), dims: [layout.length, 2] };
  return { seconds: seconds(start), embedding };
}

/** umap-learn in its pinned venv on the same rows (through .npy files); its layout comes back for scoring. */
function runUmapLearn(x: Tensor<Float32Array>) {
  execFileSync("bash", [path.join(ROOT, "scripts", "install-venv.sh"), path.join(ROOT, "tools", "bench")], {
    stdio: "inherit",
  });
  const work = mkdtempSync(path.join(os.tmpdir(), "lens-bench-umap-"));
  try {
    const input = path.join(work, "x.npy");
    const output = path.join(work, "layout.npy");
    writeFileSync(input, encodeNpy({ dtype: "F32", shape: [...x.dims], data: x.data }));
    const stdout = execFileSync(
      PYTHON,
      [
        path.join(ROOT, "bench", "umap_learn.py"),
        ...["--input", input, "--output", output, "--threads", String(THREADS)],
        ...["--n-neighbors", String(PARAMS.nNeighbors), "--min-dist", String(PARAMS.minDist)],
        ...["--epochs", String(PARAMS.epochs)],
      ],
      { encoding: "utf8", maxBuffer: 1 << 20, env: { ...process.env, NUMBA_NUM_THREADS: String(THREADS) } },
    );
    const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as {
      umap_learn: string;
      fit_s: number;
      cpu_s?: number;
      warmup_fit_s: number;
    };
    const layout = decodeNpy(readFileSync(output));
    if (layout.dtype !== "F32") throw new Error(`umap-learn layout is ${layout.dtype}, expected F32`);
    return { ...report, embedding: { data: layout.data, dims: layout.shape } };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function trustworthiness(x: Tensor<Float32Array>, layout: Tensor<Float32Array | Float64Array>): number {
  return projectionQuality(x, layout, QUALITY).trustworthiness;
}

/**
 * (3) In the child process: Lens on a million points; wall, CPU, phases, this process's peak RSS (data
 * generation and scoring included), trustworthiness on a sample. umap-learn is compared at the sizes of (2);
 * the million's goal is Lens's own (10 minutes within 8 GB).
 */
function runMillion() {
  const data = gaussianMixture(MILLION.n, MILLION.dim, 100);
  const lens = runLens(data);
  const quality = projectionQuality(data, lens.embedding, {
    ...QUALITY,
    sampleSize: MILLION.qualitySampleSize,
  });
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  return {
    n: MILLION.n,
    dim: MILLION.dim,
    lens_s: lens.seconds,
    lens_cpu_s: lens.cpuSeconds,
    lens_knn_s: lens.knnSeconds,
    lens_knn_cpu_s: lens.knnCpuSeconds,
    lens_layout_s: lens.layoutSeconds,
    lens_trustworthiness: quality.trustworthiness,
    quality_queries: quality.queries,
    max_rss_mb: maxRssMb,
    within_goal: lens.seconds <= MILLION.goalSeconds && maxRssMb <= MILLION.goalRssMb,
    umap_learn: "not run: compared at 70,000 x 784 and 100,000 x 128; here the goal is Lens's own",
  };
}

if (args["million-run"]) {
  console.log(JSON.stringify(runMillion()));
  process.exit(0);
}

// (1) Lens against plain umap-js.
const x = gaussianMixture(N, UMAP_JS_DIM, 1);
const lensTimes: number[] = [];
const umapJsTimes: number[] = [];
let umapJsScores = { lens: 0, umapJs: 0 };
for (let r = 0; r < (N > 0 ? REPEATS : 0); r++) {
  // Alternate the order so background load on this 2-core machine does not favour one side.
  const lens = r % 2 === 0 ? runLens(x) : undefined;
  const plain = runUmapJs(x);
  const lensRun = lens ?? runLens(x);
  lensTimes.push(lensRun.seconds);
  umapJsTimes.push(plain.seconds);
  console.log(
    `${N} × ${UMAP_JS_DIM}: lens ${lensRun.seconds.toFixed(1)} s, umap-js ${plain.seconds.toFixed(1)} s`,
  );
  if (r === 0) {
    umapJsScores = {
      lens: trustworthiness(x, lensRun.embedding),
      umapJs: trustworthiness(x, plain.embedding),
    };
  }
}

// (2) Lens against umap-learn.
const againstUmapLearn = SIZES.map(({ n, dim }, s) => {
  const data = gaussianMixture(n, dim, 2 + s);
  const lens = runLens(data);
  console.log(`${n} × ${dim}: lens ${lens.seconds.toFixed(1)} s (kNN ${lens.knnSeconds.toFixed(1)} s)`);
  const reference = runUmapLearn(data);
  console.log(`${n} × ${dim}: umap-learn ${reference.fit_s.toFixed(1)} s`);
  const lensTrust = trustworthiness(data, lens.embedding);
  const referenceTrust = trustworthiness(data, reference.embedding);
  return {
    n,
    dim,
    lens_s: lens.seconds,
    lens_knn_s: lens.knnSeconds,
    lens_knn_cpu_s: lens.knnCpuSeconds,
    lens_layout_s: lens.layoutSeconds,
    // Wall time includes waiting for the CPU when other processes share the cores; CPU time does not.
    lens_cpu_s: lens.cpuSeconds,
    umap_learn_s: reference.fit_s,
    umap_learn_cpu_s: reference.cpu_s ?? null,
    umap_learn_warmup_fit_s: reference.warmup_fit_s,
    time_ratio: lens.seconds / reference.fit_s,
    lens_trustworthiness: lensTrust,
    umap_learn_trustworthiness: referenceTrust,
    trustworthiness_gap: referenceTrust - lensTrust,
    umap_learn: reference.umap_learn,
  };
});

const million = args.million
  ? (JSON.parse(
      execFileSync(
        path.join(ROOT, "node_modules", ".bin", "tsx"),
        [import.meta.filename, "--million-run", "--knn-dims", args["knn-dims"]],
        { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 },
      )
        .trim()
        .split("\n")
        .at(-1) ?? "{}",
    ) as ReturnType<typeof runMillion>)
  : null;
if (million) console.log(`${million.n} × ${million.dim}: lens ${million.lens_s.toFixed(1)} s`);

const result = {
  params: { ...PARAMS, knnDims: KNN_DIMS, threads: THREADS },
  quality: QUALITY,
  clusters: CLUSTERS,
  repeats: REPEATS,
  umapjs:
    N === 0
      ? null
      : {
          n: N,
          dim: UMAP_JS_DIM,
          lens_s: median(lensTimes),
          umapjs_s: median(umapJsTimes),
          speedup: median(umapJsTimes) / median(lensTimes),
          lens_trustworthiness: umapJsScores.lens,
          umapjs_trustworthiness: umapJsScores.umapJs,
          lens_s_runs: lensTimes,
          umapjs_s_runs: umapJsTimes,
        },
  umap_learn: againstUmapLearn,
  million,
  // Peak resident memory of this process (Lens' runs, the umap-js baseline and the scoring; umap-learn runs in
  // its own process).
  max_rss_mb: process.resourceUsage().maxRSS / 1024,
  node: process.version,
};
const out = path.join(ROOT, "bench", "results", "umap.json");
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
