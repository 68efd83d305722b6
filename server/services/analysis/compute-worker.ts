import { parentPort } from "node:worker_threads";
import { type ComputeTask, runComputeTask } from "./compute-tasks";

/** Entry of a compute thread (./compute-thread.ts): runs one task, posting progress, then its result. */
const port = parentPort;
if (port === null) throw new Error("compute-worker runs as a worker thread");

// Progress messages are cheap but not free: post one per this much progress.
const PROGRESS_STEP = 0.005;

port.once("message", (task: ComputeTask) => {
  let reported = -1;
  try {
    const result = runComputeTask(task, (fraction) => {
      if (fraction - reported < PROGRESS_STEP && fraction < 1) return;
      reported = fraction;
      port.postMessage({ type: "progress", fraction });
    });
    port.postMessage({ type: "result", result });
  } catch (error) {
    port.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
});
