import "server-only";

import { TRPCError } from "@trpc/server";
import { notFound } from "next/navigation";

/**
 * A server-side query whose NOT_FOUND becomes the 404 page (the HTTP status too, since it runs before anything
 * streams); other errors are left to the page's error handling. What it fetched stays in the request's query
 * cache for HydrateClient.
 */
export async function fetchOrNotFound<T>(fetch: () => Promise<T>): Promise<T> {
  try {
    return await fetch();
  } catch (error) {
    if (error instanceof TRPCError && error.code === "NOT_FOUND") notFound();
    throw error;
  }
}
