import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { requireExportPython } from "./export-venv";
import { ROOT } from "./processes";

const run = promisify(execFile);
const EXPORT_DIR = path.join(ROOT, "tools", "export");
const BIG_OUTPUT = 64 * 1024 * 1024;

/** Runs `python -m <module> ...args` in the exporter's venv (cwd tools/export, 2 torch threads). */
export async function runExportPython(module: string, args: string[]): Promise<string> {
  const { stdout } = await run(requireExportPython(), ["-m", module, ...args], {
    cwd: EXPORT_DIR,
    maxBuffer: BIG_OUTPUT,
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1", FVL_EXPORT_THREADS: "2" },
  });
  return stdout;
}

/** `npx fvl model export ...` (the CLI users run); returns its stdout. */
export async function fvlModelExport(args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [path.join(ROOT, "bin", "fvl.mjs"), "model", "export", ...args],
    {
      cwd: ROOT,
      maxBuffer: BIG_OUTPUT,
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1", FVL_EXPORT_THREADS: "2", ORT_INTRA_OP_THREADS: "1" },
    },
  );
  return stdout;
}

/** A raw little-endian float32 file the reference script wrote. */
export async function readF32(file: string): Promise<Float32Array> {
  const bytes = await fs.readFile(file);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}
