import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/api/root";
import { createApiContext } from "~/server/api/trpc";
import { refuseCrossSite } from "../../_http/require-access";

/**
 * The browser API. Each procedure checks its role itself (server/api/trpc.ts); this refuses state-changing
 * requests another site's page made (CSRF: mutations are POSTs, and a browser names the sending page's origin).
 */
function handler(req: Request): Response | Promise<Response> {
  const crossSite = refuseCrossSite(req);
  if (crossSite !== null) return crossSite;
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ req }) => createApiContext({ headers: req.headers }),
    onError: ({ path, error }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[api] ${path ?? "?"}: ${error.message}`);
    },
  });
}

export { handler as GET, handler as POST };
