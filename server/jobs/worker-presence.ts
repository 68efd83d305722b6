import os from "node:os";
import type { InferenceClient } from "~/server/services/inference-client";
import type { Db } from "~/server/store/db";
import type { ClaimedJob } from "./job-queue";

// A worker reports itself this often (the workers page polls at the same pace).
const REPORT_MS = 5_000;
// images/s is counted over this window.
const WINDOW_MS = 60_000;

/**
 * A worker's heartbeat row (WorkerHeartbeat): host, the inference server it uses with that server's execution
 * provider and model, images finished over the last minute and the job it is running, written every REPORT_MS and
 * removed when the worker stops. server/services/workers/list-workers.ts reads the rows for the workers page.
 */
export class WorkerPresence {
  private readonly finished: { at: number; count: number }[] = [];
  private current: ClaimedJob | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date();

  constructor(
    private readonly options: { db: Db; workerId: string; inference: InferenceClient; inferenceUrl: string },
  ) {}

  start(): void {
    void this.report().catch(() => undefined);
    this.timer = setInterval(() => void this.report().catch(() => undefined), REPORT_MS);
  }

  jobStarted(job: ClaimedJob): void {
    this.current = job;
  }

  jobEnded(): void {
    this.current = null;
  }

  imagesFinished(count: number): void {
    this.finished.push({ at: Date.now(), count });
  }

  /** Images finished in the last WINDOW_MS. */
  imagesLastMinute(now = Date.now()): number {
    while ((this.finished[0]?.at ?? now) < now - WINDOW_MS) this.finished.shift();
    return this.finished.reduce((sum, entry) => sum + entry.count, 0);
  }

  async report(): Promise<void> {
    const health = await this.options.inference.health.query().catch(() => null);
    const row = {
      host: os.hostname(),
      pid: process.pid,
      inferenceUrl: this.options.inferenceUrl,
      executionProvider: health?.executionProvider ?? null,
      model: health?.model.state === "ready" ? health.model.info.name : null,
      imagesLastMinute: this.imagesLastMinute(),
      currentJobId: this.current?.id ?? null,
      currentJobKind: this.current?.kind ?? null,
      seenAt: new Date(),
    };
    await this.options.db.workerHeartbeat.upsert({
      where: { id: this.options.workerId },
      create: { id: this.options.workerId, startedAt: this.startedAt, ...row },
      update: row,
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.options.db.workerHeartbeat.deleteMany({ where: { id: this.options.workerId } });
  }
}
