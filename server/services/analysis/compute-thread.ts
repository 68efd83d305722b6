import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ComputeResult, ComputeTask } from "./compute-tasks";

export class ComputeCancelledError extends Error {
  override name = "ComputeCancelledError";
}

type WorkerMessage =
  | { type: "progress"; fraction: number }
  | { type: "result"; result: unknown }
  | { type: "error"; message: string };

/** What the caller posts to a compute thread: the task and the flag that asks it to stop. */
export interface ComputeRequest {
  task: ComputeTask;
  /** Int32Array over a SharedArrayBuffer; element 0 becomes 1 when the caller cancels. */
  cancel: Int32Array;
}

/**
 * Runs one analysis task in a worker thread so the job's process stays responsive: heartbeats keep flowing
 * (a UMAP of many points blocks its thread for longer than a job may stay silent). A cancel settles the promise at
 * once and raises a shared flag that the thread checks at every progress step, so it stops at the next one; it is
 * never terminated mid-computation, because terminating a thread inside a native call (the HNSW index) aborts the
 * whole process. The task's typed arrays are transferred, not copied: callers hand them over.
 */
export function runInComputeThread<T extends ComputeTask>(
  task: T,
  options: { onProgress?: (fraction: number) => void; signal?: AbortSignal } = {},
): Promise<ComputeResult<T>> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new ComputeCancelledError("cancelled"));
    const worker = startComputeWorker();
    const cancel = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    let isSettled = false;
    const settle = (outcome: () => void) => {
      if (isSettled) return;
      isSettled = true;
      options.signal?.removeEventListener("abort", onAbort);
      outcome();
    };
    const onAbort = () => {
      Atomics.store(cancel, 0, 1);
      settle(() => reject(new ComputeCancelledError("cancelled")));
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "progress") {
        if (!isSettled) options.onProgress?.(message.fraction);
        return;
      }
      // The thread has finished (result, error or acknowledged cancel) and sits idle: ending it now is safe.
      void worker.terminate();
      if (message.type === "result") settle(() => resolve(message.result as ComputeResult<T>));
      else settle(() => reject(new Error(message.message)));
    });
    worker.on("error", (error) => settle(() => reject(error)));
    worker.on("exit", (code) =>
      settle(() => reject(new Error(`the compute thread exited (code ${code}) before finishing`))),
    );
    worker.postMessage({ task, cancel } satisfies ComputeRequest, transferablesOf(task));
  });
}

/**
 * The worker entry is TypeScript wherever jobs run (tsx for the worker and the CLI, vitest in tests), and worker
 * threads do not inherit the TypeScript loader: a tiny CommonJS bootstrap registers tsx's require hook in the
 * thread first. A compiled build (JavaScript entry) starts the entry directly.
 */
function startComputeWorker(): Worker {
  // Same extension as this module: .ts from source, .js from a compiled build.
  const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const entry = new URL(`./compute-worker${extension}`, import.meta.url);
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry);
  const tsx = createRequire(import.meta.url).resolve("tsx/cjs/api");
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(fileURLToPath(entry))});`;
  return new Worker(bootstrap, { eval: true });
}

function transferablesOf(task: ComputeTask): ArrayBuffer[] {
  const arrays =
    task.kind === "projection"
      ? [task.features.data]
      : [...task.sources.map((s) => s.visual.data), task.text.data];
  const buffers = new Set<ArrayBuffer>();
  for (const array of arrays) if (array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
  return [...buffers];
}
