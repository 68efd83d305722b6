/**
 * The composition root: the one place the process's dependencies are built from the validated configuration
 * (server/env.ts). Every entry point takes them from here: the tRPC context and route handlers (web), the job
 * worker, the CLI and the launcher. Modules below receive what they need as arguments and never read `env`.
 * docs/architecture.md lists the ports and which implementation each gets here.
 */
import type { AuthDeps } from "~/server/auth/access";
import { createAuth } from "~/server/auth/auth";
import { readOrCreateAuthSecret } from "~/server/auth/auth-secret";
import { type Env, env } from "~/server/env";
import { type FeatureStore, LocalFeatureStore } from "~/server/features/feature-store";
import { BullMqJobQueue } from "~/server/jobs/bullmq-job-queue";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import type { JobQueue } from "~/server/jobs/job-queue";
import type { ImportLimits } from "~/server/services/datasets/dataset-types";
import { createInferenceClient, type InferenceClient } from "~/server/services/inference-client";
import type { ModelSettings } from "~/server/services/models/known-models";
import { createDb, type Db } from "~/server/store/db";

// A live question encodes the image once (cached afterwards) and decodes a short answer.
const LIVE_QUESTION_TIMEOUT_MS = 120_000;
// Encoding one batch can take a while on a CPU; a generous timeout keeps slow batches from failing.
const BATCH_TIMEOUT_MS = 10 * 60_000;

/** The inference server, through clients that give up after different times. */
export interface InferenceClients {
  url: string;
  /** INFERENCE_TOKEN, for clients made elsewhere (the CLI's own inference server). */
  token: string | undefined;
  /** Answers quickly or not at all (health, model checks). */
  client: InferenceClient;
  /** Waits for one image's model work (live questions, attention maps). */
  slowClient: InferenceClient;
  /** Waits for a batch (the job worker). */
  batchClient: InferenceClient;
}

/** Guards and limits from the configuration, handed to the services that enforce them. */
export interface Limits {
  maxImagePixels: number;
  maxUploadBytes: number;
  imports: ImportLimits;
  importRoots: readonly string[];
  jobStaleAfterMs: number;
}

export interface AppDeps {
  /** Where migrations are applied (launcher, CLI). */
  databaseUrl: string;
  dataDir: string;
  modelDir: string;
  /** The model folders a run may pick (MODEL_DIR, MODELS_DIR, MODEL_DIRS). */
  models: ModelSettings;
  db: Db;
  features: FeatureStore;
  queue: JobQueue;
  inference: InferenceClients;
  limits: Limits;
  /** Access control: whether it is on, and the accounts/sessions library (server/auth). */
  auth: AuthDeps;
}

/** Builds every dependency from a configuration; `db` may be handed in (tests, or a process that has one). */
export function createAppDeps(config: Env, options: { db?: Db } = {}): AppDeps {
  const db = options.db ?? createDb(config.DATABASE_URL);
  const inference = (timeoutMs: number) =>
    createInferenceClient({ url: config.INFERENCE_URL, timeoutMs, token: config.INFERENCE_TOKEN });
  return {
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    modelDir: config.modelDir,
    models: { modelDir: config.modelDir, modelsDir: config.modelsDir, modelDirs: config.modelDirs },
    db,
    features: new LocalFeatureStore(config.dataDir, config.featuresDir),
    queue:
      config.QUEUE === "bullmq"
        ? new BullMqJobQueue(db, {
            redisUrl: config.REDIS_URL,
            prefix: config.REDIS_PREFIX,
            lockMs: config.JOB_STALE_AFTER_MS,
          })
        : new EmbeddedJobQueue(db),
    inference: {
      url: config.INFERENCE_URL,
      token: config.INFERENCE_TOKEN,
      client: inference(config.INFERENCE_HEALTH_TIMEOUT_MS),
      slowClient: inference(LIVE_QUESTION_TIMEOUT_MS),
      batchClient: inference(BATCH_TIMEOUT_MS),
    },
    limits: {
      maxImagePixels: config.MAX_IMAGE_PIXELS,
      maxUploadBytes: config.MAX_UPLOAD_BYTES,
      imports: { maxFiles: config.MAX_IMPORT_FILES, maxBytes: config.MAX_IMPORT_BYTES },
      importRoots: config.importRoots,
      jobStaleAfterMs: config.JOB_STALE_AFTER_MS,
    },
    auth: createAuthDeps(config, db),
  };
}

function createAuthDeps(config: Env, db: Db): AuthDeps {
  let auth: ReturnType<typeof createAuth> | undefined;
  return {
    isEnabled: config.isAuthEnabled,
    oidcName: config.oidc?.name ?? null,
    auth: () => {
      auth ??= createAuth({
        db,
        provider: config.DATABASE_URL.startsWith("file:") ? "sqlite" : "postgresql",
        secret: config.AUTH_SECRET ?? readOrCreateAuthSecret(config.dataDir),
        publicUrl: config.publicUrl,
        oidc: config.oidc,
      });
      return auth;
    },
  };
}

// One database client per process, kept on globalThis so Next.js dev reloads don't open a new connection each
// time; the rest is cheap and rebuilt with the module.
const holder = globalThis as unknown as { lensDb?: Db };
let deps: AppDeps | undefined;

/** This process's dependencies, built once from the environment. */
export function getAppDeps(): AppDeps {
  holder.lensDb ??= createDb(env.DATABASE_URL);
  deps ??= createAppDeps(env, { db: holder.lensDb });
  return deps;
}
