import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { AnyRouter } from "@trpc/server";
import { TRPCError } from "@trpc/server";
import { createHTTPServer } from "@trpc/server/adapters/standalone";

// A batch of 64 images of a few MB each, base64-encoded, with room to spare.
const INFERENCE_MAX_BODY_BYTES = 512 * 1024 * 1024;

/** Whether a request carries `Authorization: Bearer <token>`, compared in constant time. */
export function hasInferenceToken(headers: IncomingHttpHeaders, token: string): boolean {
  const sent = Buffer.from(headers.authorization ?? "", "utf8");
  const expected = Buffer.from(`Bearer ${token}`, "utf8");
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/**
 * The inference server's HTTP face: tRPC over the engine's router. With a token, every request without it is
 * refused (401) before any procedure runs; health included, so an exposed server says nothing to strangers.
 */
export function createInferenceHttpServer(options: { router: AnyRouter; token: string | undefined }) {
  const { token } = options;
  return createHTTPServer({
    router: options.router,
    maxBodySize: INFERENCE_MAX_BODY_BYTES,
    createContext: ({ req }) => {
      if (token !== undefined && !hasInferenceToken(req.headers, token))
        throw new TRPCError({
          code: "UNAUTHORIZED",
          message: "This inference server needs INFERENCE_TOKEN.",
        });
      return {};
    },
  });
}
