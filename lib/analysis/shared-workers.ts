import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

// Worker threads for the analyses that use every core (UMAP's neighbour search and layout) while their API stays
// synchronous: the caller blocks in Atomics.wait on a shared control block instead of yielding to its event loop
// (the analyses already run inside a compute thread, see server/services/analysis/compute-thread.ts). Workers
// therefore cannot use events to report back: they count finished steps in shared memory and send errors on a
// port that the caller drains with receiveMessageOnPort.

// Control block slots (Int32).
const STEP = 0; // the caller bumps it to start the next step; workers wait for it to change
const DONE = 1; // finished (worker, step) pairs; workers add 1 and notify
const STOP = 2; // 1: workers return at the next check
const FAILED = 3; // 1: a worker reported an error on its port
const ALIVE = 4; // bumped by workers inside a long step (throwIfStopped), so the caller sees progress
const CONTROL_SLOTS = 5;
// Longest a caller waits for the workers without any of them finishing a step or checking in from a long one
// (a million points' neighbour search is one step of many minutes) before it gives up: covers thread start-up
// (loading TypeScript) on a busy machine, far shorter than a hang.
const STALL_TIMEOUT_MS = 120_000;
// How often a waiting caller wakes to check for errors and report progress.
const POLL_MS = 200;

export interface WorkerInit<T> {
  index: number;
  count: number;
  control: Int32Array;
  data: T;
}

/** Caller side: `count` threads running `entry`, each given `data(index)` (typed arrays on SharedArrayBuffers). */
export class SharedWorkers {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private steps = 0;

  constructor(
    entry: URL,
    readonly count: number,
    data: (index: number) => unknown,
  ) {
    for (let index = 0; index < count; index++) {
      const { port1, port2 } = new MessageChannel();
      const init = { index, count, control: this.control, data: data(index), errors: port2 };
      const worker = startWorker(entry, init, port2);
      worker.unref(); // a finished analysis never keeps the process alive
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /**
   * Starts the next step in every worker and blocks until all finished it; `onWait` runs every POLL_MS meanwhile
   * (it may throw to cancel, which stops the workers). The first step is the one workers run on start.
   */
  runStep(onWait?: () => void): void {
    const target = (this.steps + 1) * this.count;
    if (this.steps > 0) {
      Atomics.add(this.control, STEP, 1);
      Atomics.notify(this.control, STEP);
    }
    this.steps++;
    let lastDone = Atomics.load(this.control, DONE);
    let lastAlive = Atomics.load(this.control, ALIVE);
    let lastChange = Date.now();
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      const alive = Atomics.load(this.control, ALIVE);
      this.throwIfFailed();
      if (done >= target) return;
      if (done !== lastDone || alive !== lastAlive) {
        lastDone = done;
        lastAlive = alive;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > STALL_TIMEOUT_MS) {
        this.close();
        throw new Error(`analysis worker threads made no progress in ${STALL_TIMEOUT_MS / 1000} s`);
      }
      try {
        onWait?.();
      } catch (error) {
        this.close();
        throw error;
      }
      Atomics.wait(this.control, DONE, done, POLL_MS);
    }
  }

  /**
   * Asks the threads to stop; each ends at its next check (between steps, or where its step checks
   * `throwIfStopped`). They are never terminated from outside: ending a thread inside a native call (the HNSW
   * index) aborts the whole process.
   */
  close(): void {
    Atomics.store(this.control, STOP, 1);
    Atomics.notify(this.control, STEP);
    for (const port of this.ports) port.close();
  }

  private throwIfFailed(): void {
    if (Atomics.load(this.control, FAILED) === 0) return;
    for (const port of this.ports) {
      const message = receiveMessageOnPort(port);
      if (message !== undefined) {
        this.close();
        throw new Error(`analysis worker thread failed: ${String(message.message)}`);
      }
    }
  }
}

/**
 * Worker side: runs `step(init, stepNumber)` for the first step and again each time the caller starts another,
 * until the caller stops the workers; errors go to the caller.
 */
export function serveSteps<T>(
  init: WorkerInit<T> & { errors: MessagePort },
  step: (init: WorkerInit<T>, stepNumber: number) => void,
): void {
  const { control } = init;
  try {
    for (let stepNumber = 0; Atomics.load(control, STOP) === 0; stepNumber++) {
      step(init, stepNumber);
      const seen = Atomics.load(control, STEP);
      Atomics.add(control, DONE, 1);
      Atomics.notify(control, DONE);
      // The caller bumps STEP only after every worker has finished, so it still equals `seen` here.
      while (Atomics.load(control, STEP) === seen && Atomics.load(control, STOP) === 0) {
        Atomics.wait(control, STEP, seen, POLL_MS);
      }
    }
  } catch (error) {
    if (!(error instanceof StopRequested)) reportFailure(control, init.errors, error);
  } finally {
    init.errors.close();
  }
}

class StopRequested extends Error {}

/**
 * For long steps, called every so often: tells the caller the thread is alive, and throws (ending the step
 * quietly) once the caller has asked the threads to stop.
 */
export function throwIfStopped(control: Int32Array): void {
  Atomics.add(control, ALIVE, 1);
  if (Atomics.load(control, STOP) === 1) throw new StopRequested("stopped by the caller");
}

function reportFailure(control: Int32Array, port: MessagePort, error: unknown): void {
  port.postMessage(error instanceof Error ? (error.stack ?? error.message) : String(error));
  Atomics.store(control, FAILED, 1);
  Atomics.notify(control, DONE);
}

/**
 * Worker threads do not inherit the TypeScript loader that runs this code from source (tsx, Vitest): a small
 * CommonJS bootstrap registers tsx's require hook first, and reports a failure to load through the control block
 * (the caller is blocked and would never see an 'error' event). A compiled build starts the entry directly.
 */
function startWorker(entry: URL, init: object, errors: MessagePort): Worker {
  const path = fileURLToPath(entry);
  const register = path.endsWith(".ts")
    ? `require(${JSON.stringify(createRequire(import.meta.url).resolve("tsx/cjs/api"))}).register();`
    : "";
  const bootstrap = `
const { workerData } = require("node:worker_threads");
try { ${register} require(${JSON.stringify(path)}); } catch (error) {
  workerData.errors.postMessage(String(error && error.stack || error));
  Atomics.store(workerData.control, ${FAILED}, 1);
  Atomics.notify(workerData.control, ${DONE});
}`;
  return new Worker(bootstrap, { eval: true, workerData: init, transferList: [errors] });
}
