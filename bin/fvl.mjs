#!/usr/bin/env node
// Runs the TypeScript CLI (server/cli/main.ts) with tsx, against this package's tsconfig whatever the working directory.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const result = spawnSync(
  process.execPath,
  // tsx resolved from this package, so `fvl` works from any working directory.
  [
    "--import",
    import.meta.resolve("tsx"),
    path.join(root, "server", "cli", "main.ts"),
    ...process.argv.slice(2),
  ],
  {
    stdio: "inherit",
    cwd: process.cwd(),
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, "tsconfig.json") },
  },
);
process.exit(result.status ?? 1);
