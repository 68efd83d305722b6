import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { type AppDeps, getAppDeps } from "~/server/composition-root";
import type { WorkerDeps } from "~/server/jobs/run-worker";
import { hashClearShareTokens } from "~/server/services/share/hash-clear-tokens";
import { ensureDataDir } from "~/server/store/data-dir";
import { applyMigrations } from "~/server/store/migrate";
import type { InferenceConnection } from "./ensure-inference";

/** The repository root: where the CLI finds Prisma's migrations and the inference server's entry point. */
export const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** The process's dependencies, with the data folder and the database brought up to date. */
export async function prepare(): Promise<AppDeps> {
  const deps = getAppDeps();
  await ensureDataDir(deps.dataDir);
  await applyMigrations({ databaseUrl: deps.databaseUrl, cwd: ROOT });
  await hashClearShareTokens({ db: deps.db });
  return deps;
}

/** This command as a job worker, with the same dependencies as the background worker process. */
export function cliWorker(deps: AppDeps, inference: InferenceConnection, workerId: string): WorkerDeps {
  return {
    db: deps.db,
    dataDir: deps.dataDir,
    inference: inference.client,
    features: deps.features,
    queue: deps.queue,
    workerId,
    staleAfterMs: deps.limits.jobStaleAfterMs,
  };
}

export function cliWorkerId(): string {
  return `cli:${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
