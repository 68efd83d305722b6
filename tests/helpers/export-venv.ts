import { existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./processes";

/** The checkpoint exporter's Python (tools/export/.venv, made by scripts/install-system-deps.sh). */
export const EXPORT_PYTHON = path.join(ROOT, "tools", "export", ".venv", "bin", "python");

/** Fails with the command that fixes it, instead of a spawn error deep inside a test. */
export function requireExportPython(): string {
  if (!existsSync(EXPORT_PYTHON)) {
    throw new Error(`${EXPORT_PYTHON} is missing: run 'bash scripts/install-system-deps.sh' first`);
  }
  return EXPORT_PYTHON;
}
