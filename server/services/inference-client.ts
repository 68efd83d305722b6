import { createTRPCClient, httpLink } from "@trpc/client";
import { Agent, fetch as undiciFetch } from "undici";
import type { InferenceRouter } from "~/server/inference/router";
import { inferenceAuthHeaders, transport } from "~/server/inference/transport";

export type InferenceClient = ReturnType<typeof createInferenceClient>;

/**
 * A typed client for one inference server; every call gives up after `timeoutMs`, and carries `token` (the
 * server's INFERENCE_TOKEN) when there is one.
 */
export function createInferenceClient(options: { url: string; timeoutMs: number; token?: string }) {
  const headers = inferenceAuthHeaders(options.token);
  // Node's fetch gives up on a response whose headers take more than 300 s, whatever the abort signal allows: a
  // batch of full-size images on a CPU takes longer than that. This client's own agent waits as long as the call may.
  const dispatcher = new Agent({ headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  return createTRPCClient<InferenceRouter>({
    links: [
      httpLink({
        url: options.url,
        transformer: transport,
        headers,
        fetch: (input, init) =>
          undiciFetch(input as Parameters<typeof undiciFetch>[0], {
            ...(init as Parameters<typeof undiciFetch>[1]),
            dispatcher,
            signal: AbortSignal.timeout(options.timeoutMs),
          }) as unknown as Promise<Response>,
      }),
    ],
  });
}
