/**
 * The GEMM peak `bench:encode` divides by: the best float32 square matmul over sizes up to 2048² of ONNX Runtime's
 * own MatMul (a one-node graph in onnxruntime-node, the runtime Lens encodes with, idle threads spinning and not)
 * and of OpenBLAS through NumPy (bench/gemm_peak.py, which also writes the graph), measured on all `threads`.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { OrtGraph } from "~/lib/engine/ort-graph";
import { median } from "./median";

const ROOT = path.resolve(import.meta.dirname, "..");
const PYTHON = path.join(ROOT, "tools", "export", ".venv", "bin", "python");
// Small sizes do not reach the peak; the large ones show where each library's blocking pays off.
const SIZES = [256, 512, 1024, 1536, 2048];
// Shortest timed sample (as in bench/gemm_peak.py): products shorter than this repeat inside one sample, so a
// lucky or unlucky time slice on a shared machine does not decide the peak.
const MIN_SAMPLE_S = 0.05;

export interface GemmPeak {
  gflops: number;
  best: { source: string; size: number };
  by_source: Record<string, Record<string, number>>;
}

export async function measureGemmPeak(threads: number, repeats: number): Promise<GemmPeak> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "bench-gemm-"));
  try {
    const graphPath = path.join(scratch, "matmul.onnx");
    const { stdout } = await promisify(execFile)(
      PYTHON,
      [
        path.join(ROOT, "bench", "gemm_peak.py"),
        ...["--sizes", SIZES.join(","), "--repeats", String(repeats), "--onnx", graphPath],
      ],
      { env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) }, maxBuffer: 1 << 20 },
    );
    const numpy = JSON.parse(stdout) as { numpy: string; gflops: Record<string, number> };
    const bySource: Record<string, Record<string, number>> = { [`numpy ${numpy.numpy}`]: numpy.gflops };
    for (const allowSpinning of [false, true]) {
      const graph = await OrtGraph.open(graphPath, "matmul.onnx", {
        executionProvider: "cpu",
        intraOpThreads: threads,
        interOpThreads: 1,
        allowSpinning,
      });
      const rates: Record<string, number> = {};
      for (const size of SIZES) rates[size] = await ortGflops(graph, size, repeats);
      await graph.release();
      bySource[`onnxruntime${allowSpinning ? " spinning" : ""}`] = rates;
    }
    let best = { source: "", size: 0, gflops: 0 };
    for (const [source, rates] of Object.entries(bySource)) {
      for (const [size, gflops] of Object.entries(rates)) {
        if (gflops > best.gflops) best = { source, size: Number(size), gflops };
      }
    }
    return { gflops: best.gflops, best: { source: best.source, size: best.size }, by_source: bySource };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

async function ortGflops(graph: OrtGraph, size: number, repeats: number): Promise<number> {
  const random = () => Float32Array.from({ length: size * size }, () => Math.random() * 2 - 1);
  const feeds = { a: { data: random(), dims: [size, size] }, b: { data: random(), dims: [size, size] } };
  await graph.run(feeds); // warm-up
  const once = performance.now();
  await graph.run(feeds);
  const inner = Math.max(1, Math.ceil(MIN_SAMPLE_S / ((performance.now() - once) / 1000)));
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    for (let j = 0; j < inner; j++) await graph.run(feeds);
    times.push((performance.now() - started) / 1000 / inner);
  }
  return (2 * size ** 3) / median(times) / 1e9;
}
