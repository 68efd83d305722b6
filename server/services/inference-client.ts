import { createTRPCClient, httpLink } from "@trpc/client";
import type { InferenceRouter } from "~/server/inference/router";
import { inferenceAuthHeaders, transport } from "~/server/inference/transport";

export type InferenceClient = ReturnType<typeof createInferenceClient>;

/**
 * A typed client for one inference server; every call gives up after `timeoutMs`, and carries `token` (the
 * server's INFERENCE_TOKEN) when there is one.
 */
export function createInferenceClient(options: { url: string; timeoutMs: number; token?: string }) {
  const headers = inferenceAuthHeaders(options.token);
  return createTRPCClient<InferenceRouter>({
    links: [
      httpLink({
        url: options.url,
        transformer: transport,
        headers,
        fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(options.timeoutMs) }),
      }),
    ],
  });
}
