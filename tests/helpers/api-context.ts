import { createCaller } from "~/server/api/root";
import type { ApiContext } from "~/server/api/trpc";
import { createAppDeps } from "~/server/composition-root";
import { parseEnv } from "~/server/env";
import type { WorkerDeps } from "~/server/jobs/run-worker";

/**
 * A tRPC context for tests: the given database, queue and inference clients, with the feature store and the
 * default limits the composition root builds for `dataDir`. Access control is off (the one local user) unless
 * an `access` is given.
 */
export function testApiContext(
  context: Pick<ApiContext, "db" | "queue" | "dataDir" | "inference"> & Partial<Pick<ApiContext, "access">>,
): ApiContext {
  const built = createAppDeps(parseEnv({ DATA_DIR: context.dataDir }), { db: context.db });
  return {
    access: { kind: "open" },
    ...context,
    features: built.features,
    limits: built.limits,
    auth: built.auth,
  };
}

/** A caller of the browser API on a worker's dependencies, with its one inference client for every timeout. */
export function callerOfWorkerDeps(deps: Pick<WorkerDeps, "db" | "queue" | "dataDir" | "inference">) {
  return createCaller(
    testApiContext({
      db: deps.db,
      queue: deps.queue,
      dataDir: deps.dataDir,
      inference: { client: deps.inference, slowClient: deps.inference, url: "http://127.0.0.1:9" },
    }),
  );
}
