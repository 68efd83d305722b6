/**
 * `npm run bench:scale -- --postgres-url postgres://… [--redis-url redis://…]`: scale-out throughput (issue 18).
 *
 * 1. Encode images/s of one run with one worker + one inference server against two workers + two inference servers
 *    (PostgreSQL + BullMQ, the run fanned out as batch jobs), every inference server on one ONNX Runtime thread, on
 *    this machine. Each round is a fresh run of IMAGES images; the clock runs from the run's creation to its
 *    completion.
 * 2. The queue's own overhead: empty jobs per second (enqueue, claim, heartbeat, complete, no work) through the embedded
 *    queue on SQLite, and through BullMQ on PostgreSQL + Redis, against bare BullMQ (add, fetch, complete without the
 *    Job table) as the baseline of what Redis itself costs, all in the same run.
 *
 * `--only queue` measures part 2 alone (light: seconds of database and Redis work), `--only encode` part 1 alone.
 * Scratch databases on the PostgreSQL server are dropped afterwards. Writes bench/results/scale.json (merging the parts
 * already there).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import { BullMqJobQueue } from "~/server/jobs/bullmq-job-queue";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import type { JobQueue } from "~/server/jobs/job-queue";
import { importFolder } from "~/server/services/datasets/import-folder";
import { getRunProgress } from "~/server/services/runs/get-run";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { applyMigrations } from "~/server/store/migrate";
import { type RunningProcess, waitUntil } from "../tests/helpers/processes";
import {
  createBatchedRun,
  startMiniInferenceServer,
  startQueueWorker,
} from "../tests/helpers/scale-out-processes";
import { writeSceneImages } from "../tests/helpers/scene-images";
import { median } from "./median";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESULTS = path.join(ROOT, "bench", "results", "scale.json");
const IMAGES = 48;
const ROUNDS = 3;
const EMPTY_JOBS = 400;
const STALE_AFTER_MS = 5_000;

function option(args: string[], name: string, fallback?: string): string {
  const at = args.indexOf(name);
  const value = at >= 0 ? args[at + 1] : fallback;
  if (value === undefined) throw new Error(`usage: npm run bench:scale -- ${name} <url>`);
  return value;
}

/** A scratch database on the server, migrated; dropped by the returned function. */
async function scratchDatabase(
  serverUrl: string,
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await applyMigrations({ databaseUrl: url.toString(), cwd: ROOT });
  return {
    url: url.toString(),
    drop: async () => {
      const again = new pg.Client({ connectionString: serverUrl });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await again.end();
    },
  };
}

/** Jobs/s of enqueue → claim → heartbeat → complete with no work, one job after another. */
async function emptyJobsPerSecond(queue: JobQueue): Promise<number> {
  const ids: string[] = [];
  const started = performance.now();
  for (let i = 0; i < EMPTY_JOBS; i++) ids.push(await queue.enqueue("encode-run", { runId: `empty-${i}` }));
  for (let i = 0; i < EMPTY_JOBS; i++) {
    const job = await queue.claim({ workerId: "bench", kinds: ["encode-run"], staleAfterMs: 60_000 });
    if (job === null) throw new Error(`job ${i} was not delivered`);
    await queue.heartbeat(job.id, "bench", { done: 1, total: 1 });
    await queue.complete(job.id);
  }
  return EMPTY_JOBS / ((performance.now() - started) / 1000);
}

/** The same loop on bare BullMQ: add, fetch, extend the lock, complete. */
async function bareBullMqJobsPerSecond(redisUrl: string, prefix: string): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue("bare", { connection, prefix });
  const worker = new Worker("bare", null, { connection, prefix, autorun: false, lockDuration: 60_000 });
  const started = performance.now();
  for (let i = 0; i < EMPTY_JOBS; i++) await queue.add("empty", { i }, { removeOnComplete: true });
  for (let i = 0; i < EMPTY_JOBS; i++) {
    const job = await worker.getNextJob("bench", { block: false });
    if (job === undefined) throw new Error(`bare job ${i} was not delivered`);
    await job.extendLock("bench", 60_000);
    await job.moveToCompleted(null, "bench", false);
  }
  const rate = EMPTY_JOBS / ((performance.now() - started) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return rate;
}

async function queueOverhead(postgresUrl: string, redisUrl: string, work: string) {
  const sqliteDir = path.join(work, "sqlite");
  await ensureDataDir(sqliteDir);
  const sqliteUrl = `file:${path.join(sqliteDir, "lens.db")}`;
  await applyMigrations({ databaseUrl: sqliteUrl, cwd: ROOT });
  const postgres = await scratchDatabase(postgresUrl, `lens_bench_queue_${process.pid}`);
  const sqliteDb = createDb(sqliteUrl);
  const postgresDb = createDb(postgres.url);
  const embedded: number[] = [];
  const bullmq: number[] = [];
  const bare: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      embedded.push(await emptyJobsPerSecond(new EmbeddedJobQueue(sqliteDb)));
      const prefix = `lens-bench-${process.pid}-${round}`;
      const queue = new BullMqJobQueue(postgresDb, { redisUrl, prefix, lockMs: 60_000 });
      bullmq.push(await emptyJobsPerSecond(queue));
      await queue.close();
      bare.push(await bareBullMqJobsPerSecond(redisUrl, prefix));
    }
  } finally {
    await sqliteDb.$disconnect();
    await postgresDb.$disconnect();
    await postgres.drop();
  }
  return {
    embedded_sqlite_jobs_s: median(embedded),
    bullmq_postgres_jobs_s: median(bullmq),
    baseline_bare_bullmq_jobs_s: median(bare),
  };
}

/** Images/s of fresh IMAGES-image runs with `count` workers, each with its own inference server. */
async function encodeRate(
  count: number,
  postgresUrl: string,
  redisUrl: string,
  work: string,
): Promise<number[]> {
  const dataDir = path.join(work, `encode-${count}`);
  await ensureDataDir(dataDir);
  const database = await scratchDatabase(postgresUrl, `lens_bench_scale_${process.pid}_${count}`);
  const db: Db = createDb(database.url);
  const prefix = `lens-bench-scale-${process.pid}-${count}`;
  const queue = new BullMqJobQueue(db, { redisUrl, prefix, lockMs: STALE_AFTER_MS });
  const processes: RunningProcess[] = [];
  const rates: number[] = [];
  try {
    const urls: string[] = [];
    for (let i = 0; i < count; i++) {
      const { server, url } = await startMiniInferenceServer();
      processes.push(server);
      urls.push(url);
      processes.push(
        startQueueWorker({
          dataDir,
          databaseUrl: database.url,
          redisUrl,
          prefix,
          staleAfterMs: STALE_AFTER_MS,
          inferenceUrl: url,
        }),
      );
    }
    // One warm-up run (sessions, caches), then the measured rounds.
    for (let round = 0; round <= ROUNDS; round++) {
      const folder = path.join(work, `images-${count}-${round}`);
      await writeSceneImages(folder, IMAGES);
      const imported = await importFolder({
        db,
        dataDir,
        roots: [folder],
        folder,
        name: `bench ${count} ${round}`,
      });
      const started = performance.now();
      const runId = await createBatchedRun({
        db,
        queue,
        inferenceUrl: urls[0] ?? "",
        datasetId: imported.dataset.id,
      });
      await waitUntil(
        async () => (await getRunProgress({ db, runId })).status === "completed",
        900_000,
        "a run",
      );
      const run = await getRunProgress({ db, runId });
      if (run.done !== IMAGES) throw new Error(`run ${round} encoded ${run.done} of ${IMAGES}`);
      if (round > 0) rates.push(IMAGES / ((performance.now() - started) / 1000));
    }
  } finally {
    for (const child of processes) await child.stop();
    await queue.close();
    await db.$disconnect();
    await database.drop();
  }
  return rates;
}

async function main(args: string[]): Promise<void> {
  const postgresUrl = option(args, "--postgres-url");
  const redisUrl = option(args, "--redis-url", "redis://127.0.0.1:6379");
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "bench-scale-"));
  try {
    const only = args.includes("--only") ? option(args, "--only") : undefined;
    const previous = await fs
      .readFile(RESULTS, "utf8")
      .then((text) => JSON.parse(text) as Record<string, unknown>)
      .catch(() => ({}));
    const overhead = only === "encode" ? {} : await queueOverhead(postgresUrl, redisUrl, work);
    let encode = {};
    if (only !== "queue") {
      const one = await encodeRate(1, postgresUrl, redisUrl, work);
      const two = await encodeRate(2, postgresUrl, redisUrl, work);
      encode = {
        encode_images_s_one_worker: median(one),
        encode_images_s_two_workers: median(two),
        encode_speedup_two_workers: median(two) / median(one),
      };
    }
    const result = {
      ...previous,
      ...encode,
      ...overhead,
      settings: {
        images_per_run: IMAGES,
        rounds: ROUNDS,
        empty_jobs_per_round: EMPTY_JOBS,
        statistic: "median",
        cores: os.availableParallelism(),
        load_average_at_end: os.loadavg(),
        inference_threads_per_server: 1,
        batch_size: 4,
      },
    };
    await fs.mkdir(path.dirname(RESULTS), { recursive: true });
    await fs.writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
