import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import type { InferenceRouter } from "~/server/inference/router";

export type InferenceClient = ReturnType<typeof createInferenceClient>;

/** A typed client for one inference server; every call gives up after `timeoutMs`. */
export function createInferenceClient(options: { url: string; timeoutMs: number }) {
  return createTRPCClient<InferenceRouter>({
    links: [
      httpLink({
        url: options.url,
        transformer: superjson,
        fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(options.timeoutMs) }),
      }),
    ],
  });
}
