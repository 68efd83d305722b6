import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalFeatureStore } from "~/server/features/feature-store";
import { BullMqJobQueue } from "~/server/jobs/bullmq-job-queue";
import { importFolder } from "~/server/services/datasets/import-folder";
import { getRunProgress } from "~/server/services/runs/get-run";
import { listWorkers } from "~/server/services/workers/list-workers";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { getFreePort, type RunningProcess, waitUntil } from "../helpers/processes";
import { createBatchedRun, startMiniInferenceServer, startQueueWorker } from "../helpers/scale-out-processes";
import { writeSceneImages } from "../helpers/scene-images";
import { createMigratedDatabase, TEST_POSTGRES_URL, type TestDatabase } from "../helpers/test-database";
import { freshQueuePrefix, TEST_REDIS_URL } from "../helpers/test-queue";

// The Done-when run of issue 18, on PostgreSQL + BullMQ only (CI's second pass).
const IMAGES = 300;
const STALE_AFTER_MS = 3_000;

let work: string;
let dataDir: string;
let featuresDir: string;
let db: Db;
let database: TestDatabase;
let redisPort: number;
let redis: RunningProcess | undefined;
const servers: RunningProcess[] = [];
const inferenceUrls: string[] = [];
const workers: RunningProcess[] = [];
const prefix = freshQueuePrefix();

// A Redis server of this test's own, so restarting it disturbs nothing else.
function startRedis(): RunningProcess {
  const args = ["--bind", "127.0.0.1", "--port", String(redisPort), "--save", "", "--appendonly", "no"];
  const child = spawn("redis-server", args, { stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {
    child,
    output: () => "",
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

function startWorker(inferenceUrl: string): RunningProcess {
  const worker = startQueueWorker({
    dataDir,
    featuresDir,
    databaseUrl: database.url,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    prefix,
    staleAfterMs: STALE_AFTER_MS,
    inferenceUrl,
  });
  workers.push(worker);
  return worker;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(TEST_POSTGRES_URL === undefined || TEST_REDIS_URL === undefined)(
  "scale-out: two workers, two inference servers, PostgreSQL + BullMQ",
  () => {
    beforeAll(async () => {
      work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-scale-out-"));
      dataDir = path.join(work, "data");
      featuresDir = path.join(work, "shared", "features");
      await ensureDataDir(dataDir);
      database = await createMigratedDatabase(dataDir);
      db = createDb(database.url);
      redisPort = await getFreePort();
      redis = startRedis();
      for (let i = 0; i < 2; i++) {
        const { server, url } = await startMiniInferenceServer();
        servers.push(server);
        inferenceUrls.push(url);
        startWorker(url);
      }
    });

    afterAll(async () => {
      for (const child of [...workers, ...servers]) await child.stop();
      await redis?.stop();
      await db?.$disconnect();
      await database?.drop();
      await fs.rm(work, { recursive: true, force: true });
    });

    it("completes a 300-image run through a killed worker, a Redis restart, a PostgreSQL restart and a poison image", {
      timeout: 1_200_000,
    }, async () => {
      const folder = path.join(work, "images");
      await writeSceneImages(folder, IMAGES);
      const imported = await importFolder({ db, dataDir, roots: [folder], folder, name: "scale-out scenes" });
      // The poison: an image whose stored file is gone fails every batch it is in.
      const poison = await db.image.findFirstOrThrow({
        where: { items: { some: { fileName: "scene-007.png" } } },
      });
      await fs.rm(path.join(dataDir, poison.storagePath));

      const queue = new BullMqJobQueue(db, {
        redisUrl: `redis://127.0.0.1:${redisPort}`,
        prefix,
        lockMs: STALE_AFTER_MS,
      });
      const runId = await createBatchedRun({
        db,
        queue,
        inferenceUrl: inferenceUrls[0] ?? "",
        datasetId: imported.dataset.id,
      });
      const progress = () => getRunProgress({ db, runId });
      const finished = async () => {
        const run = await progress();
        return run.done + run.failed;
      };

      await waitUntil(async () => (await finished()) >= 40, 600_000, `40 images (${workers[0]?.output()})`);
      // SIGKILL one worker mid-batch: its batch is redone by the other. The worker's own pid comes from its heartbeat
      // row (the process started here is tsx's launcher, which cannot pass a SIGKILL on).
      const victim = (await listWorkers({ db })).find((worker) => worker.inferenceUrl === inferenceUrls[0]);
      if (victim === undefined) throw new Error("the first worker has not reported itself");
      process.kill(victim.pid, "SIGKILL");
      await waitUntil(async () => !isAlive(victim.pid), 10_000, "the killed worker to exit");
      await waitUntil(async () => (await finished()) >= 100, 600_000, `100 images (${workers[1]?.output()})`);

      // Redis restarts empty (no persistence): the relay posts the deliveries again.
      await redis?.stop();
      redis = startRedis();
      await waitUntil(async () => (await finished()) >= 160, 600_000, `160 images (${workers[1]?.output()})`);

      // PostgreSQL restarts: the workers' pools reconnect.
      const [version, cluster] = execFileSync("pg_lsclusters", ["--no-header"], { encoding: "utf8" })
        .trim()
        .split(/\s+/);
      const restart = ["--skip-systemctl-redirect", version ?? "15", cluster ?? "main", "restart"];
      // Root in CI; elsewhere through sudo without a prompt.
      if (process.getuid?.() === 0) execFileSync("pg_ctlcluster", restart);
      else execFileSync("sudo", ["-n", "pg_ctlcluster", ...restart]);
      await waitUntil(
        async () => (await progress().catch(() => null))?.status === "completed",
        900_000,
        `completion (${workers[1]?.output()})`,
      );

      const run = await progress();
      expect([run.done, run.failed, run.total]).toEqual([IMAGES - 1, 1, IMAGES]);
      // Every image stored once (the unique (run, image) row), every feature file whole.
      const rows = await db.runImage.findMany({ where: { runId } });
      expect(rows).toHaveLength(IMAGES);
      expect(new Set(rows.map((row) => row.imageId)).size).toBe(IMAGES);
      const features = new LocalFeatureStore(dataDir, featuresDir);
      for (const row of rows.filter((r) => r.status === "done"))
        expect(await features.verify(row.featureFile ?? "", row.featureSha256 ?? "")).toBe(true);
      const parked = rows.find((row) => row.imageId === poison.id);
      expect(parked).toMatchObject({ status: "failed", error: expect.stringMatching(/dead-lettered/) });
      const { sources } = await db.run.findUniqueOrThrow({ where: { id: runId } });
      expect(await db.pooledFeature.count({ where: { runId } })).toBe(
        (IMAGES - 1) * (sources as string[]).length,
      );
      // The workers page: the live worker with its inference server's provider and model and its recent rate; the
      // killed one silent since it died. (On a fast machine the run can finish sooner after the kill than a worker
      // takes to count as silent, so that is waited for.)
      await waitUntil(
        async () => (await listWorkers({ db })).some((worker) => worker.isSilent),
        60_000,
        "the killed worker to be listed silent",
      );
      const listed = await listWorkers({ db });
      expect(listed).toHaveLength(2);
      expect(listed.filter((worker) => worker.isSilent)).toHaveLength(1);
      expect(listed.find((worker) => !worker.isSilent)).toMatchObject({
        executionProvider: "cpu",
        model: expect.any(String),
        imagesPerSecond: expect.any(Number),
      });
      // The killed worker's job was taken over (claimed a second time) by the other worker.
      expect(await db.job.count({ where: { runId, attempts: { gte: 2 } } })).toBeGreaterThan(0);
      // The dead-letter list: the poison image's own job, failed with the reason.
      const deadLetters = await db.job.findMany({ where: { runId, kind: "encode-batch", status: "failed" } });
      const poisonJobs = deadLetters.filter((job) => {
        const payload = job.payload as { imageIds?: string[] };
        return payload.imageIds?.length === 1 && payload.imageIds[0] === poison.id;
      });
      // (Twice when the killed worker was coordinating the run: its successor posts the image again.)
      expect(poisonJobs.length).toBeGreaterThan(0);
      for (const job of poisonJobs) expect(job.error).toMatch(/stored file .* is missing/);
      await queue.close();
    });
  },
);
