import "server-only";

import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache, type ReactNode } from "react";
import { appRouter } from "~/server/api/root";
import { createApiContext } from "~/server/api/trpc";
import { makeQueryClient } from "./query-client";

/** One query client per server request, shared by every prefetch in that request's component tree. */
export const getQueryClient = cache(makeQueryClient);

/** Server-side options proxy: React Server Components prefetch through it with no HTTP hop. */
export const trpc = createTRPCOptionsProxy({
  // The page request's cookies decide what its prefetches may read, as for the browser's own requests.
  ctx: async () => createApiContext({ headers: new Headers(await headers()) }),
  router: appRouter,
  queryClient: getQueryClient,
});

export function HydrateClient({ children }: { children: ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}
