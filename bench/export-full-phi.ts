/**
 * `npm run export:full-phi`: a full-size random-initialised Phi-3.5-mini (llava_phi, 3.8B parameters, bf16
 * shards) with a random Florence-2-base tower, exported by fvl_export with `--dtype fp16` (external data; int8 and
 * int4 variants measured against transformers' fp32 model), then each language-model variant loaded in the engine
 * in its own process, answering over a prompt with the 577 visual tokens of one image. Reports export time and
 * peak memory, and per variant load time, resident memory after load, peak memory, prompt time and decoding
 * tokens/s. Writes bench/results/export-full-phi.json.
 *
 * Every child process is watched: its resident memory is sampled from /proc and the process is killed past its
 * limit (the machine is shared), which is then the result for that variant. Needs about 25 GB of disk under the
 * OS temp folder; not part of `npm test`. Run it under `flock /work/coord/heavy.lock` on a shared machine.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EXPORT_DIR, EXPORT_PYTHON } from "./real-large-model";

const ROOT = path.resolve(import.meta.dirname, "..");
const CACHE = path.join(os.tmpdir(), "lens-florence-vl-phi35-full");
const MODEL = path.join(CACHE, "model");
const RESULTS = path.join(ROOT, "bench", "results", "export-full-phi.json");
const GB = 1024 ** 3;
// The exporter holds one tensor at a time (about 2 GB at its peak); the quantized variants load in 3-6 GB.
const EXPORT_LIMIT_BYTES = 14 * GB;
const ENGINE_LIMIT_BYTES = 13 * GB;
const SAMPLE_MS = 250;
// fp16 last: on the CPU provider its weights are widened to fp32 (about 15 GB) and the watchdog is expected to stop it.
const VARIANTS = ["int8", "int4", "fp16"];

interface Watched {
  code: number | null;
  killedAtBytes: number | null;
  peakBytes: number;
  seconds: number;
  stdout: string;
}

function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0; // the process has just ended
  }
}

/** Runs a command, sampling its resident memory; kills it (SIGKILL, this pid only) past `limitBytes`. */
function watch(command: string, args: string[], cwd: string, limitBytes: number): Promise<Watched> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1", FVL_EXPORT_THREADS: String(os.availableParallelism()) },
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  let peakBytes = 0;
  let killedAtBytes: number | null = null;
  const timer = setInterval(() => {
    if (child.pid === undefined) return;
    const bytes = residentBytes(child.pid);
    peakBytes = Math.max(peakBytes, bytes);
    if (bytes > limitBytes && killedAtBytes === null) {
      killedAtBytes = bytes;
      child.kill("SIGKILL");
    }
  }, SAMPLE_MS);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(timer);
      resolve({ code, killedAtBytes, peakBytes, seconds: (performance.now() - started) / 1000, stdout });
    });
  });
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

function lastJson(stdout: string): Record<string, unknown> {
  const start = stdout.lastIndexOf("\n{");
  return JSON.parse(stdout.slice(start < 0 ? stdout.indexOf("{") : start + 1)) as Record<string, unknown>;
}

async function main(): Promise<void> {
  const fresh = process.argv.includes("--fresh");
  const checkpoint = path.join(CACHE, "checkpoint");
  let fixture: Watched | null = null;
  if (!existsSync(path.join(checkpoint, "model.safetensors.index.json"))) {
    await fs.rm(CACHE, { recursive: true, force: true });
    console.error("writing the full-size random Phi-3.5-mini checkpoint (bf16 shards) ...");
    fixture = await watch(
      EXPORT_PYTHON,
      ["-m", "fvl_export.llm.testing", "--out", CACHE, "--architecture", "phi3", "--full-size"],
      EXPORT_DIR,
      EXPORT_LIMIT_BYTES,
    );
    if (fixture.code !== 0) throw new Error(`the checkpoint fixture failed (exit ${fixture.code})`);
  }
  let exported: Watched | null = null;
  if (fresh || !existsSync(path.join(MODEL, "fvl.json"))) {
    await fs.rm(MODEL, { recursive: true, force: true });
    console.error("exporting it with fvl_export --dtype fp16 ...");
    exported = await watch(
      EXPORT_PYTHON,
      [
        "-m",
        "fvl_export",
        "export",
        "--json",
        "--dtype",
        "fp16",
        "--from",
        checkpoint,
        "--tower-files",
        path.join(CACHE, "tower-files"),
        "--out",
        MODEL,
      ],
      EXPORT_DIR,
      EXPORT_LIMIT_BYTES,
    );
    if (exported.code !== 0) throw new Error(`the export failed (exit ${exported.code})`);
  }
  const manifest = JSON.parse(await fs.readFile(path.join(MODEL, "fvl.json"), "utf8")) as {
    llm: {
      export_seconds: number;
      quality_probe_seconds: number;
      variants: Record<string, { weight_bytes: number; file_bytes: number; quality_vs_fp32?: unknown }>;
    };
  };
  const engine: Record<string, unknown> = {};
  for (const variant of VARIANTS) {
    if (manifest.llm.variants[variant] === undefined) continue;
    console.error(`loading the ${variant} language model in the engine and answering ...`);
    const run = await watch(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "bench", "answer.ts"), "--model", MODEL, "--variant", variant],
      ROOT,
      ENGINE_LIMIT_BYTES,
    );
    engine[variant] =
      run.code === 0
        ? { ...lastJson(run.stdout), watched_peak_rss_mb: mb(run.peakBytes), seconds: run.seconds }
        : {
            loaded: false,
            killed_at_rss_mb: run.killedAtBytes === null ? null : mb(run.killedAtBytes),
            exit_code: run.code,
            watched_peak_rss_mb: mb(run.peakBytes),
            seconds: run.seconds,
          };
  }
  const previous = existsSync(RESULTS)
    ? (JSON.parse(await fs.readFile(RESULTS, "utf8")) as Record<string, unknown>)
    : {};
  const result = {
    benchmark:
      "full-size random Phi-3.5-mini (llava_phi) + Florence-2-base tower: fvl_export --dtype fp16, engine",
    machine: { cpus: os.availableParallelism(), memory_gb: Math.round(os.totalmem() / GB) },
    // Other helpers' work on a shared machine slows every step: the load says how quiet the run was.
    load_average_1m: os.loadavg()[0],
    fixture:
      fixture === null
        ? (previous.fixture ?? "cached")
        : { seconds: fixture.seconds, peak_rss_mb: mb(fixture.peakBytes) },
    export:
      exported === null
        ? (previous.export ?? "cached")
        : {
            wall_seconds: exported.seconds,
            graphs_seconds: manifest.llm.export_seconds,
            quality_probe_seconds: manifest.llm.quality_probe_seconds,
            watched_peak_rss_mb: mb(exported.peakBytes),
            exporter_report: lastJson(exported.stdout),
          },
    variants: Object.fromEntries(
      Object.entries(manifest.llm.variants).map(([name, entry]) => [
        name,
        {
          weight_bytes: entry.weight_bytes,
          file_bytes: entry.file_bytes,
          quality_vs_fp32: entry.quality_vs_fp32,
        },
      ]),
    ),
    engine,
  };
  await fs.mkdir(path.dirname(RESULTS), { recursive: true });
  await fs.writeFile(RESULTS, `${JSON.stringify(result, null, 1)}\n`);
  console.log(JSON.stringify(result, null, 1));
}

await main();
