import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Applies pending migrations with Prisma's CLI (`migrate deploy`: no shadow database, no prompts, no network with
 * the JavaScript engine). Returns the CLI's report.
 */
export async function applyMigrations(options: { databaseUrl: string; cwd: string }): Promise<string> {
  const cli = path.join(options.cwd, "node_modules", "prisma", "build", "index.js");
  // Without it the finished CLI lingers 10 s on PostgreSQL (a timer of its WebAssembly engine; see the file).
  const timers = path.join(options.cwd, "server", "store", "prisma-cli-timers.cjs");
  const { stdout } = await run(process.execPath, ["--require", timers, cli, "migrate", "deploy"], {
    cwd: options.cwd,
    env: { ...process.env, DATABASE_URL: options.databaseUrl },
  });
  return stdout;
}
