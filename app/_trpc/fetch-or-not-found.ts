import "server-only";

import { TRPCError } from "@trpc/server";
import { notFound, redirect } from "next/navigation";

/**
 * A server-side query whose NOT_FOUND becomes the 404 page (the HTTP status too, since it runs before anything
 * streams), and UNAUTHORIZED (a session that ended) the sign-in page; other errors are left to the page's error
 * handling. What it fetched stays in the request's query
 * cache for HydrateClient.
 */
export async function fetchOrNotFound<T>(fetch: () => Promise<T>): Promise<T> {
  try {
    return await fetch();
  } catch (error) {
    if (error instanceof TRPCError && error.code === "NOT_FOUND") notFound();
    if (error instanceof TRPCError && error.code === "UNAUTHORIZED") redirect("/sign-in");
    throw error;
  }
}
