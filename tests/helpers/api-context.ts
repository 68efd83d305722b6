import type { ApiContext } from "~/server/api/trpc";
import { createAppDeps } from "~/server/composition-root";
import { parseEnv } from "~/server/env";

/**
 * A tRPC context for tests: the given database, queue and inference clients, with the feature store and the
 * default limits the composition root builds for `dataDir`.
 */
export function testApiContext(
  context: Pick<ApiContext, "db" | "queue" | "dataDir" | "inference">,
): ApiContext {
  const built = createAppDeps(parseEnv({ DATA_DIR: context.dataDir }), { db: context.db });
  return { ...context, features: built.features, limits: built.limits };
}
