import { randomUUID } from "node:crypto";
import { BullMqJobQueue } from "~/server/jobs/bullmq-job-queue";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import type { JobQueue } from "~/server/jobs/job-queue";
import type { Db } from "~/server/store/db";

/**
 * The queue the integration suite runs on: the embedded one, or with TEST_REDIS_URL (CI's second pass, `.ci/run`)
 * BullMQ on that Redis server, under a key prefix of the test file's own.
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

/** A Redis key prefix no other test file uses. */
export function freshQueuePrefix(): string {
  return `lens-test-${randomUUID().slice(0, 8)}`;
}

export function openTestQueue(db: Db, options: { prefix: string; lockMs?: number }): JobQueue {
  if (TEST_REDIS_URL === undefined) return new EmbeddedJobQueue(db);
  return new BullMqJobQueue(db, {
    redisUrl: TEST_REDIS_URL,
    prefix: options.prefix,
    lockMs: options.lockMs ?? 60_000,
  });
}

/** The environment that puts a spawned worker, CLI or web server on the same queue as `openTestQueue`. */
export function testQueueEnv(prefix: string): Record<string, string> {
  if (TEST_REDIS_URL === undefined) return { QUEUE: "embedded" };
  return { QUEUE: "bullmq", REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix };
}
