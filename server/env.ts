import path from "node:path";
import { z } from "zod";

/**
 * The one place configuration is read. Every setting is documented in README.md (Configuration) with its
 * default; nothing else in the code base reads `process.env`.
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** Root of everything the app writes: the SQLite file, feature files, thumbnails. Created on first start. */
  DATA_DIR: z.string().min(1).default("data"),
  /**
   * Where feature files are written and read; defaults to `<DATA_DIR>/features`. In scale-out a shared mount (NFS)
   * that every worker and the web server see at this path.
   */
  FEATURES_DIR: z.string().min(1).optional(),
  /** Prisma connection string; defaults to `file:<DATA_DIR>/lens.db`. */
  DATABASE_URL: z.string().min(1).optional(),
  /** The job queue: `embedded` (the database's Job table) or `bullmq` (deliveries through BullMQ on Redis; scale-out). */
  QUEUE: z.enum(["embedded", "bullmq"]).default("embedded"),
  /** The Redis server of `QUEUE=bullmq`. */
  REDIS_URL: z.url().default("redis://127.0.0.1:6379"),
  /** Prefix of the queue's Redis keys, so several deployments (or test runs) can share one Redis server. */
  REDIS_PREFIX: z.string().min(1).default("lens"),
  /** Where the browser-facing Next.js server listens. */
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Where the inference server process listens, and where the web server reaches it. */
  INFERENCE_HOST: z.string().min(1).default("127.0.0.1"),
  INFERENCE_PORT: z.coerce.number().int().min(1).max(65535).default(3101),
  INFERENCE_URL: z.url().optional(),
  /** How long the web server waits for the inference server's health answer before reporting it down. */
  INFERENCE_HEALTH_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  /** The model folder the inference server serves (docs/architecture.md: the model-folder contract). */
  MODEL_DIR: z.string().min(1).default("models/florence-vl-mini"),
  /**
   * Which weight variant of MODEL_DIR the inference server serves (`_fp16` files for fp16); default: fp32, or the
   * folder's only exported dtype. A dtype the folder was not exported in fails the model load, naming it.
   */
  MODEL_DTYPE: z.enum(["fp32", "fp16"]).optional(),
  /**
   * The language model's weight variant (fvl.json llm.variants) the inference server serves; default: MODEL_DTYPE's,
   * except fp16 on the CPU provider, which serves the int8 (else int4) variant: ONNX Runtime's CPU provider widens
   * fp16 weights to fp32 copies. A variant the folder lacks fails the model load, naming the ones it has.
   */
  LLM_VARIANT: z.enum(["fp32", "fp16", "int8", "int4"]).optional(),
  /**
   * A folder of model folders: each subfolder that looks like a model folder (docs/architecture.md) is a model a run
   * may pick and the inference server may serve, besides MODEL_DIR (the default). Defaults to MODEL_DIR's parent
   * folder (`models` for the bundled model).
   */
  MODELS_DIR: z.string().min(1).optional(),
  /** More model folders a run may pick, separated by commas or the OS path delimiter (`:` on Linux/macOS). */
  MODEL_DIRS: z.string().optional(),
  /**
   * The inference server's budget for loaded models' weights (their graphs' bytes on disk), in MiB: loading one more
   * unloads the least recently used ones until it fits. Unset: no limit (every model requested stays loaded).
   */
  INFERENCE_MEMORY_MB: z.coerce.number().int().min(1).optional(),
  /** ONNX Runtime execution provider; `cuda` needs `npm ci --onnxruntime-node-install=cuda12`. */
  EXECUTION_PROVIDER: z.enum(["cpu", "cuda", "webgpu"]).default("cpu"),
  /** Decompression-bomb guard: images with more pixels are refused before they are decoded. */
  MAX_IMAGE_PIXELS: z.coerce.number().int().min(1).default(100_000_000),
  /** A job whose worker has not heartbeated for this long is taken over by another worker (resume after a crash). */
  JOB_STALE_AFTER_MS: z.coerce.number().int().min(500).default(15_000),
  /** ONNX Runtime thread pools; 0 lets ONNX Runtime choose (one thread per physical core). */
  ORT_INTRA_OP_THREADS: z.coerce.number().int().min(0).max(256).default(0),
  ORT_INTER_OP_THREADS: z.coerce.number().int().min(0).max(256).default(1),
  /** Let idle ONNX Runtime threads spin-wait (faster on a dedicated many-core server, slower on a shared small one). */
  ORT_ALLOW_SPINNING: z
    .enum(["0", "1", "false", "true"])
    .default("0")
    .transform((value) => value === "1" || value === "true"),
  /**
   * Largest browser upload (the whole multipart body); bigger requests get HTTP 413. Uploads stream to staged files
   * on disk, so this bounds disk use while an upload is imported, not memory.
   */
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(4 * 1024 * 1024 * 1024),
  /** Most files one dataset import may hold (zip entries or folder files): a zip-bomb and runaway-folder guard. */
  MAX_IMPORT_FILES: z.coerce.number().int().min(1).default(50_000),
  /** Most bytes one import may expand to (zip entries uncompressed, or a folder's files): a zip-bomb guard. */
  MAX_IMPORT_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(2 * 1024 * 1024 * 1024),
  /**
   * Server folders datasets may be imported from, separated by the OS path delimiter (`:` on Linux/macOS) like
   * PATH; each must be absolute. Defaults to `<DATA_DIR>/imports`.
   */
  IMPORT_ROOTS: z
    .string()
    .optional()
    .refine(
      (value) => value === undefined || splitRoots(value).every((root) => path.isAbsolute(root)),
      "every import root must be an absolute folder path",
    ),
  /**
   * Access control (accounts, roles, share links as the only way in for others): `on`, `off` (one local user, the
   * open dashboard), or `auto`: on whenever HOST is not a loopback address.
   */
  AUTH: z.enum(["on", "off", "auto"]).default("auto"),
  /** Signs session cookies; at least 32 characters. Defaults to a random one kept in `<DATA_DIR>/auth-secret`. */
  AUTH_SECRET: z.string().min(32, "AUTH_SECRET needs at least 32 characters").optional(),
  /**
   * The address users open the dashboard at (`https://lens.lab.example`): OpenID Connect callbacks go there, and
   * cookies are marked Secure when it is https. Defaults to `http://<HOST>:<PORT>`.
   */
  PUBLIC_URL: z.url().optional(),
  /** Optional OpenID Connect sign-in: the provider's issuer URL (its discovery document is read from there). */
  OIDC_ISSUER: z.url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** The name on the sign-in button ("Sign in with <name>"). */
  OIDC_NAME: z.string().min(1).max(60).default("OpenID Connect"),
  /**
   * Shared secret between the web server / job worker and the inference server: when set, the inference server
   * refuses requests without it (bearer header) and its clients send it.
   */
  INFERENCE_TOKEN: z.string().min(16, "INFERENCE_TOKEN needs at least 16 characters").optional(),
});

const LOOPBACK_HOSTS = new Set(["localhost", "::1", "[::1]"]);

/** Whether a listen address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function splitRoots(value: string): string[] {
  return value
    .split(path.delimiter)
    .map((root) => root.trim())
    .filter((root) => root.length > 0);
}

export type Env = Readonly<
  Omit<
    z.infer<typeof schema>,
    "DATABASE_URL" | "INFERENCE_URL" | "IMPORT_ROOTS" | "MODELS_DIR" | "MODEL_DIRS"
  > & {
    DATABASE_URL: string;
    INFERENCE_URL: string;
    /** DATA_DIR made absolute against the working directory. */
    dataDir: string;
    /** FEATURES_DIR made absolute (default: `<dataDir>/features`). */
    featuresDir: string;
    /** MODEL_DIR made absolute against the working directory. */
    modelDir: string;
    /** MODELS_DIR made absolute (default: MODEL_DIR's parent folder). */
    modelsDir: string;
    /** MODEL_DIRS as a list of absolute folders (empty when unset). */
    modelDirs: readonly string[];
    /** INFERENCE_MEMORY_MB in bytes; null: no limit. */
    inferenceMemoryBytes: number | null;
    /** IMPORT_ROOTS as a list of absolute folders (default: `<dataDir>/imports`). */
    importRoots: readonly string[];
    /** AUTH resolved: whether accounts, roles and share-link scopes are enforced. */
    isAuthEnabled: boolean;
    /** PUBLIC_URL or `http://<HOST>:<PORT>`. */
    publicUrl: string;
    /** OpenID Connect sign-in, when all three OIDC_* settings are given. */
    oidc: { issuer: string; clientId: string; clientSecret: string; name: string } | null;
  }
>;

export class InvalidEnvironmentError extends Error {
  override name = "InvalidEnvironmentError";
}

/** Parses a raw environment; exported for tests, the app uses `env`. */
export function parseEnv(raw: Record<string, string | undefined>): Env {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new InvalidEnvironmentError(
      `Invalid configuration (see README, Configuration):\n  ${problems.join("\n  ")}`,
    );
  }
  const values = parsed.data;
  const dataDir = path.resolve(values.DATA_DIR);
  const { IMPORT_ROOTS, MODELS_DIR, MODEL_DIRS, ...rest } = values;
  const { OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET } = values;
  const oidcSettings = [OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET].filter(
    (value) => value !== undefined,
  );
  if (oidcSettings.length !== 0 && oidcSettings.length !== 3)
    throw new InvalidEnvironmentError(
      "Invalid configuration (see README, Configuration):\n  OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together: set all three or none.",
    );
  const importRoots =
    IMPORT_ROOTS === undefined ? [] : splitRoots(IMPORT_ROOTS).map((root) => path.resolve(root));
  return Object.freeze({
    ...rest,
    importRoots: Object.freeze(importRoots.length > 0 ? importRoots : [path.join(dataDir, "imports")]),
    dataDir,
    featuresDir: path.resolve(values.FEATURES_DIR ?? path.join(dataDir, "features")),
    isAuthEnabled: values.AUTH === "on" || (values.AUTH === "auto" && !isLoopbackHost(values.HOST)),
    publicUrl:
      values.PUBLIC_URL ??
      `http://${values.HOST.includes(":") ? `[${values.HOST}]` : values.HOST}:${values.PORT}`,
    oidc:
      OIDC_ISSUER !== undefined && OIDC_CLIENT_ID !== undefined && OIDC_CLIENT_SECRET !== undefined
        ? {
            issuer: OIDC_ISSUER,
            clientId: OIDC_CLIENT_ID,
            clientSecret: OIDC_CLIENT_SECRET,
            name: values.OIDC_NAME,
          }
        : null,
    modelDir: path.resolve(values.MODEL_DIR),
    modelsDir: path.resolve(MODELS_DIR ?? path.dirname(path.resolve(values.MODEL_DIR))),
    modelDirs: Object.freeze(
      (MODEL_DIRS ?? "")
        .split(new RegExp(`[,${path.delimiter}]`))
        .map((dir) => dir.trim())
        .filter((dir) => dir.length > 0)
        .map((dir) => path.resolve(dir)),
    ),
    inferenceMemoryBytes:
      values.INFERENCE_MEMORY_MB === undefined ? null : values.INFERENCE_MEMORY_MB * 1024 * 1024,
    DATABASE_URL: values.DATABASE_URL ?? `file:${path.join(dataDir, "lens.db")}`,
    INFERENCE_URL: values.INFERENCE_URL ?? `http://${values.INFERENCE_HOST}:${values.INFERENCE_PORT}`,
  });
}

export const env: Env = parseEnv(process.env);

const defaults = schema.parse({});

/**
 * The guards' documented defaults, for services called without limits (tests, scripts). Entry points pass the
 * configured values from the composition root instead.
 */
export const DEFAULT_GUARDS = Object.freeze({
  maxImagePixels: defaults.MAX_IMAGE_PIXELS,
  imports: Object.freeze({ maxFiles: defaults.MAX_IMPORT_FILES, maxBytes: defaults.MAX_IMPORT_BYTES }),
});
