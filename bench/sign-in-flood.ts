/**
 * Password guessing against sign-in (issue 19): ten thousand wrong-password attempts from one client, then a flood
 * from clients that claim a new address on every request (X-Forwarded-For), while a signed-in colleague keeps
 * using the dashboard. Measures the colleague's request latency before (baseline, same run) and during each flood,
 * and what the attackers got back. Everything runs in one process through the real route handlers (better-auth's
 * sign-in with its rate limiter and the sign-in gate, the tRPC handler) on a migrated SQLite database.
 *
 *   npm run bench:sign-in      writes bench/results/sign-in-flood.json
 * tests/integration/sign-in-rate-limit.test.ts runs the same measurement and checks it.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { median } from "./median";

export interface FloodResult {
  attempts: number;
  statuses: Record<string, number>;
  /** Password checks the flood made the server do (each 401 is one). */
  passwordChecks: number;
  durationMs: number;
  colleague: LatencySummary;
}

export interface LatencySummary {
  requests: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** Non-200 answers to the colleague (must stay 0). */
  failures: number;
}

export interface SignInFloodReport {
  date: string;
  host: { cpus: number; loadAverage1m: number };
  limits: { windowS: number; maxAttempts: number };
  baseline: LatencySummary & { roundMediansMs: number[] };
  oneClient: FloodResult;
  spoofedAddresses: FloodResult;
  colleagueSignInAfter: number;
}

const ORIGIN = "http://127.0.0.1:3999";
const CONCURRENCY = 20;

function summarize(latencies: number[], failures: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests: latencies.length,
    medianMs: round(median(latencies)),
    p95Ms: round(sorted[Math.floor(sorted.length * 0.95)] ?? Number.NaN),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
    failures,
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

/**
 * Runs the measurement in a fresh data folder. The caller's process environment is set for it (AUTH=on) and the
 * modules are imported after, so the composition root reads it.
 */
export async function measureSignInFlood(options: {
  attempts: number;
  spoofedAttempts: number;
  rounds: number;
  requestsPerRound: number;
  importFresh: <T>(specifier: string) => Promise<T>;
}): Promise<SignInFloodReport> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-sign-in-flood-"));
  const dataDir = path.join(work, "data");
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    DATABASE_URL: `file:${path.join(dataDir, "lens.db")}`,
    AUTH: "on",
    HOST: "127.0.0.1",
    PORT: "3999",
    INFERENCE_URL: "http://127.0.0.1:9",
  });
  try {
    const { ensureDataDir } =
      await options.importFresh<typeof import("~/server/store/data-dir")>("~/server/store/data-dir");
    const { applyMigrations } =
      await options.importFresh<typeof import("~/server/store/migrate")>("~/server/store/migrate");
    await ensureDataDir(dataDir);
    await applyMigrations({ databaseUrl: `file:${path.join(dataDir, "lens.db")}`, cwd: process.cwd() });
    const { getAppDeps } =
      await options.importFresh<typeof import("~/server/composition-root")>("~/server/composition-root");
    const { createUser } =
      await options.importFresh<typeof import("~/server/auth/users")>("~/server/auth/users");
    const { SIGN_IN_MAX_ATTEMPTS, SIGN_IN_WINDOW_S } =
      await options.importFresh<typeof import("~/server/auth/auth")>("~/server/auth/auth");
    const authRoute = await options.importFresh<typeof import("~/app/api/auth/[...all]/route")>(
      "~/app/api/auth/[...all]/route",
    );
    const trpcRoute = await options.importFresh<typeof import("~/app/api/trpc/[trpc]/route")>(
      "~/app/api/trpc/[trpc]/route",
    );
    const deps = getAppDeps();
    for (const email of ["target@lab.test", "colleague@lab.test"])
      await createUser({
        auth: deps.auth.auth(),
        email,
        name: email,
        password: "right-password-1",
        role: "member",
      });

    const signIn = (email: string, password: string, ip: string) =>
      authRoute.POST(
        new Request(`${ORIGIN}/api/auth/sign-in/email`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: ORIGIN, "x-forwarded-for": ip },
          body: JSON.stringify({ email, password }),
        }),
      );
    const colleagueSignIn = await signIn("colleague@lab.test", "right-password-1", "127.0.0.3");
    if (colleagueSignIn.status !== 200) throw new Error(`colleague sign-in: HTTP ${colleagueSignIn.status}`);
    const cookie = colleagueSignIn.headers
      .getSetCookie()
      .map((line) => line.split(";")[0])
      .join("; ");
    // A signed-in request: session lookup, role check and a database query.
    const colleagueRequest = async (): Promise<{ ms: number; ok: boolean }> => {
      const started = performance.now();
      const response = await trpcRoute.GET(
        new Request(`${ORIGIN}/api/trpc/catalog.runs?input=${encodeURIComponent('{"json":{}}')}`, {
          headers: { cookie, "x-forwarded-for": "127.0.0.3" },
        }),
      );
      await response.arrayBuffer();
      return { ms: performance.now() - started, ok: response.status === 200 };
    };

    const baselineLatencies: number[] = [];
    const roundMedians: number[] = [];
    let baselineFailures = 0;
    for (let r = 0; r < options.rounds; r++) {
      const roundLatencies: number[] = [];
      for (let i = 0; i < options.requestsPerRound; i++) {
        const { ms, ok } = await colleagueRequest();
        roundLatencies.push(ms);
        if (!ok) baselineFailures += 1;
      }
      roundMedians.push(round(median(roundLatencies)));
      baselineLatencies.push(...roundLatencies);
    }

    const flood = async (attempts: number, addressOf: (i: number) => string): Promise<FloodResult> => {
      const statuses: Record<string, number> = {};
      let next = 0;
      let isFlooding = true;
      const latencies: number[] = [];
      let failures = 0;
      const started = performance.now();
      const colleague = (async () => {
        while (isFlooding) {
          const { ms, ok } = await colleagueRequest();
          latencies.push(ms);
          if (!ok) failures += 1;
        }
      })();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < attempts) {
            const i = next++;
            const response = await signIn("target@lab.test", `wrong-password-${i}`, addressOf(i));
            await response.arrayBuffer();
            statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          }
        }),
      );
      const durationMs = round(performance.now() - started);
      isFlooding = false;
      await colleague;
      return {
        attempts,
        statuses,
        passwordChecks: statuses["401"] ?? 0,
        durationMs,
        colleague: summarize(latencies, failures),
      };
    };

    const oneClient = await flood(options.attempts, () => "127.0.0.2");
    // Every request from a new claimed address: better-auth's per-address limit never triggers; the gate does.
    const spoofedAddresses = await flood(
      options.spoofedAttempts,
      (i) => `127.${1 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`,
    );
    const after = await signIn("colleague@lab.test", "right-password-1", "127.0.0.3");
    await deps.db.$disconnect();
    return {
      date: new Date().toISOString(),
      host: { cpus: os.cpus().length, loadAverage1m: round(os.loadavg()[0] ?? 0) },
      limits: { windowS: SIGN_IN_WINDOW_S, maxAttempts: SIGN_IN_MAX_ATTEMPTS },
      baseline: { ...summarize(baselineLatencies, baselineFailures), roundMediansMs: roundMedians },
      oneClient,
      spoofedAddresses,
      colleagueSignInAfter: after.status,
    };
  } finally {
    delete (globalThis as { lensDb?: unknown }).lensDb;
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const report = await measureSignInFlood({
    attempts: 10_000,
    spoofedAttempts: 2_000,
    rounds: 5,
    requestsPerRound: 40,
    importFresh: (specifier) => import(specifier.replace(/^~\//, "../")),
  });
  console.log(JSON.stringify(report, null, 2));
  const out = path.join(import.meta.dirname, "results", "sign-in-flood.json");
  await fs.writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

if (process.argv[1] === import.meta.filename) void main();
