/**
 * The full-size random Florence-2-large (the real architecture: DaViT [256, 512, 1024, 2048] x [1, 1, 9, 1],
 * 12 + 12 BART layers at d_model 1024) as a native checkpoint and its Lens export, built once into a cache folder
 * (about 3 GB each) that bench:encode-real and export:full-large share.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "..");
export const EXPORT_DIR = path.join(ROOT, "tools", "export");
export const EXPORT_PYTHON = path.join(EXPORT_DIR, ".venv", "bin", "python");
export const CACHE = path.join(os.tmpdir(), "lens-florence-2-large-full");
export const CHECKPOINT = path.join(CACHE, "checkpoint", "native");
export const MODEL = path.join(CACHE, "model");
const REPORT = path.join(CACHE, "export-report.json");

export interface BuildReport {
  fixtureSeconds: number;
  /** The exporter's own report: seconds, peak_rss_mb, graphs, architecture. */
  export: { seconds: number; peak_rss_mb: number; graphs: string[]; architecture: Record<string, unknown> };
  exportWallSeconds: number;
}

export async function python(args: string[]): Promise<string> {
  if (!existsSync(EXPORT_PYTHON))
    throw new Error(`${EXPORT_PYTHON} is missing: run 'bash scripts/install-system-deps.sh' first`);
  const { stdout } = await run(EXPORT_PYTHON, args, {
    cwd: EXPORT_DIR,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1", FVL_EXPORT_THREADS: String(os.availableParallelism()) },
  });
  return stdout;
}

/** Builds the checkpoint unless a previous run left it, and exports it unless already exported; `fresh`
 * re-exports (the checkpoint is kept: building it is not what is measured). */
export async function ensureLargeModel(fresh = false): Promise<BuildReport> {
  if (!fresh && existsSync(path.join(MODEL, "fvl.json")) && existsSync(REPORT))
    return JSON.parse(await fs.readFile(REPORT, "utf8")) as BuildReport;
  let started = performance.now();
  if (!existsSync(path.join(CHECKPOINT, "model.safetensors"))) {
    await fs.rm(CACHE, { recursive: true, force: true });
    console.error("building the full-size random Florence-2-large checkpoint ...");
    await python([
      "-m",
      "fvl_export.testing.fixtures",
      "--out",
      path.dirname(CHECKPOINT),
      "--size",
      "large-full",
      "--formats",
      "native",
    ]);
  }
  const fixtureSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  console.error("exporting it with fvl_export ...");
  const stdout = await python(["-m", "fvl_export", "export", "--json", "--from", CHECKPOINT, "--out", MODEL]);
  const report: BuildReport = {
    fixtureSeconds,
    export: JSON.parse(stdout.trim().split("\n").pop() ?? "{}"),
    exportWallSeconds: (performance.now() - started) / 1000,
  };
  await fs.writeFile(REPORT, JSON.stringify(report, null, 1));
  return report;
}
