import { randomUUID } from "node:crypto";
import { type Job as Delivery, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Db } from "~/server/store/db";
import { EmbeddedJobQueue } from "./embedded-job-queue";
import { JOB_KINDS, type JobKind, type JobPayload } from "./job-kinds";
import type { ClaimedJob, ClaimOptions, EnqueueOptions, JobQueue, JobRecord } from "./job-queue";

// Queued jobs and jobs of dead workers are (re)posted to Redis at most this often by a claiming process (the relay).
const RELAY_MS = 1_000;
// A delivery whose worker died comes back through BullMQ's stalled check however often it stalls: whether the job is
// still to be done is the database's call (a stale heartbeat), not a count of stalls.
const MAX_STALLED_COUNT = 1_000_000;

interface DeliveryData {
  jobId: string;
}

/**
 * The scale-out queue: BullMQ on Redis delivers jobs to workers, the Job table keeps them.
 *
 * Every job's record (status, progress, cancel flag, result) is the same Job row the embedded queue writes, in the
 * same database (PostgreSQL in scale-out), so a run survives a Redis restart (`redis-server --save ''` keeps nothing)
 * and every reader is unchanged. Redis holds one BullMQ job per Lens job to be done, per kind (`lens-<kind>`), with the
 * Lens job id as its id: workers take deliveries from BullMQ (no polling of the table per worker), lock them for
 * `lockMs` and extend the lock with each heartbeat; BullMQ's stalled check gives the delivery of a killed worker
 * to another. A delivery is only a doorbell: the worker then claims the row with the embedded queue's conditional
 * update, and a delivery for a job that is not claimable (finished, cancelled, held by a live worker) is dropped.
 *
 * `enqueue` inside the caller's transaction writes only the row (the outbox); the relay in every claiming process
 * posts queued rows, and running rows with a stale heartbeat, that Redis does not hold. Redis losing its data
 * therefore loses nothing but deliveries, which the relay posts again.
 */
export class BullMqJobQueue implements JobQueue {
  private readonly records: EmbeddedJobQueue;
  private readonly connection: Redis;
  private readonly queues: Record<JobKind, Queue<DeliveryData>>;
  // One BullMQ worker per kind, created on first use.
  private readonly workers = new Map<JobKind, Worker<DeliveryData>>();
  // Deliveries this process holds, by Lens job id, with the token that owns their lock.
  private readonly held = new Map<string, { delivery: Delivery<DeliveryData>; token: string }>();
  private lastRelay = 0;

  constructor(
    db: Db,
    private readonly options: {
      redisUrl: string;
      prefix?: string;
      /**
       * How long a delivery stays locked without a heartbeat (JOB_STALE_AFTER_MS): the same in every process of a
       * deployment, since BullMQ's stalled check of a queue runs at most once per this interval, whoever runs it.
       */
      lockMs: number;
    },
  ) {
    this.records = new EmbeddedJobQueue(db);
    // BullMQ's workers need commands that wait for a reconnect instead of failing (Redis restarts).
    this.connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.connection.on("error", () => undefined);
    const queue = (kind: JobKind) =>
      new Queue<DeliveryData>(`lens-${kind}`, { connection: this.connection, prefix: options.prefix });
    this.queues = Object.fromEntries(JOB_KINDS.map((kind) => [kind, queue(kind)])) as Record<
      JobKind,
      Queue<DeliveryData>
    >;
  }

  async enqueue<K extends JobKind>(
    kind: K,
    payload: JobPayload<K>,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const id = await this.records.enqueue(kind, payload, options);
    // Inside a transaction the row may never commit: the relay posts it once it is there.
    if (options.transaction === undefined) await this.post(kind, id);
    return id;
  }

  get(jobId: string): Promise<JobRecord | null> {
    return this.records.get(jobId);
  }

  latestCompleted(kind: JobKind, runId: string): Promise<JobRecord | null> {
    return this.records.latestCompleted(kind, runId);
  }

  async claim(options: ClaimOptions): Promise<ClaimedJob | null> {
    // A job asked for by id (the CLI runs its own run in-process) is claimed in the table; its delivery is dropped
    // when a worker takes it.
    if (options.jobId !== undefined) return this.records.claim(options);
    // Deliveries first; when there is none, the relay looks at the table (rows committed since, stale rows) and the
    // queue is asked once more, so a claim right after a transaction's enqueue finds its job.
    const delivered = await this.takeDelivery(options);
    if (delivered !== null || !(await this.relay(options, false))) return delivered;
    return this.takeDelivery(options);
  }

  private async takeDelivery(options: Omit<ClaimOptions, "jobId">): Promise<ClaimedJob | null> {
    // Busy workers relay too, now and then: a job whose worker died must come back even while deliveries flow.
    await this.relay(options, true);
    for (const kind of options.kinds) {
      const worker = this.workerFor(kind);
      for (;;) {
        const token = `${options.workerId}:${randomUUID()}`;
        const delivery = await worker.getNextJob(token, { block: false });
        if (delivery === undefined) break;
        const claimed = await this.records.claim({ ...options, kinds: [kind], jobId: delivery.data.jobId });
        if (claimed === null) {
          await delivery.moveToCompleted(null, token, false).catch(() => undefined);
          continue;
        }
        this.held.set(claimed.id, { delivery, token });
        return claimed;
      }
    }
    return null;
  }

  async heartbeat(
    jobId: string,
    workerId: string,
    progress?: { done: number; total: number },
  ): Promise<void> {
    await this.records.heartbeat(jobId, workerId, progress);
    const held = this.held.get(jobId);
    // A lock lost with Redis' data is of no consequence: the row's heartbeat keeps the job this worker's.
    if (held !== undefined)
      await held.delivery.extendLock(held.token, this.options.lockMs).catch(() => undefined);
  }

  async complete(jobId: string, result?: unknown): Promise<void> {
    await this.records.complete(jobId, result);
    await this.release(jobId);
  }

  async fail(jobId: string, message: string): Promise<void> {
    await this.records.fail(jobId, message);
    await this.release(jobId);
  }

  async markCancelled(jobId: string): Promise<void> {
    await this.records.markCancelled(jobId);
    await this.release(jobId);
  }

  requestCancel(jobId: string): Promise<void> {
    return this.records.requestCancel(jobId);
  }

  isCancelRequested(jobId: string): Promise<boolean> {
    return this.records.isCancelRequested(jobId);
  }

  async requeue(jobId: string): Promise<void> {
    await this.records.requeue(jobId);
    const record = await this.records.get(jobId);
    if (record !== null) await this.post(record.kind, jobId);
  }

  removeRunJobs(runId: string): Promise<number> {
    return this.records.removeRunJobs(runId);
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((worker) => worker.close(true)));
    await Promise.all(Object.values(this.queues).map((queue) => queue.close()));
    this.connection.disconnect();
  }

  /** Posts a delivery for a job; a no-op while Redis holds one for it (the job id is the delivery's id). */
  private async post(kind: JobKind, jobId: string): Promise<void> {
    await this.queues[kind].add(
      kind,
      { jobId },
      { jobId, removeOnComplete: true, removeOnFail: true, attempts: 1 },
    );
  }

  private async release(jobId: string): Promise<void> {
    const held = this.held.get(jobId);
    if (held === undefined) return;
    this.held.delete(jobId);
    await held.delivery.moveToCompleted(null, held.token, false).catch(() => undefined);
  }

  /**
   * The outbox relay: every claimable row gets a delivery (posting one Redis already holds changes nothing). With
   * `onlyIfDue`, at most once per RELAY_MS. True when it posted something.
   */
  private async relay(
    options: { kinds: readonly JobKind[]; staleAfterMs: number },
    onlyIfDue: boolean,
  ): Promise<boolean> {
    if (onlyIfDue && Date.now() - this.lastRelay < RELAY_MS) return false;
    this.lastRelay = Date.now();
    const claimable = await this.records.listClaimable(options);
    for (const job of claimable) await this.post(job.kind, job.id);
    return claimable.length > 0;
  }

  private workerFor(kind: JobKind): Worker<DeliveryData> {
    let worker = this.workers.get(kind);
    if (worker === undefined) {
      worker = new Worker<DeliveryData>(`lens-${kind}`, null, {
        connection: this.connection,
        prefix: this.options.prefix,
        autorun: false,
        lockDuration: this.options.lockMs,
        stalledInterval: this.options.lockMs,
        maxStalledCount: MAX_STALLED_COUNT,
      });
      worker.on("error", () => undefined);
      void worker.startStalledCheckTimer();
      this.workers.set(kind, worker);
    }
    return worker;
  }
}
