import { createTRPCClient, httpLink } from "@trpc/client";
import type { InferenceRouter } from "~/server/inference/router";
import { transport } from "~/server/inference/transport";

export type InferenceClient = ReturnType<typeof createInferenceClient>;

/** A typed client for one inference server; every call gives up after `timeoutMs`. */
export function createInferenceClient(options: { url: string; timeoutMs: number }) {
  return createTRPCClient<InferenceRouter>({
    links: [
      httpLink({
        url: options.url,
        transformer: transport,
        fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(options.timeoutMs) }),
      }),
    ],
  });
}
