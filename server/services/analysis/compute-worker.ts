import { parentPort } from "node:worker_threads";
import { runComputeTask } from "./compute-tasks";
import { ComputeCancelledError, type ComputeRequest } from "./compute-thread";

/**
 * Entry of a compute thread (./compute-thread.ts): runs one task, posting progress, then its result; stops at the
 * next progress step once the caller raises the cancel flag.
 */
const port = parentPort;
if (port === null) throw new Error("compute-worker runs as a worker thread");

// Progress messages are cheap but not free: post one per this much progress.
const PROGRESS_STEP = 0.005;

port.once("message", ({ task, cancel }: ComputeRequest) => {
  let reported = -1;
  try {
    const result = runComputeTask(task, (fraction) => {
      if (Atomics.load(cancel, 0) === 1) throw new ComputeCancelledError("cancelled");
      if (fraction - reported < PROGRESS_STEP && fraction < 1) return;
      reported = fraction;
      port.postMessage({ type: "progress", fraction });
    });
    port.postMessage({ type: "result", result });
  } catch (error) {
    port.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
});
