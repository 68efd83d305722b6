import { AppError, type AppErrorCode } from "~/server/app-error";

/** AppError codes as HTTP statuses, for the plain route handlers (tRPC maps them in server/api/trpc.ts). */
export const HTTP_STATUS: Record<AppErrorCode, number> = {
  NOT_FOUND: 404,
  BAD_INPUT: 400,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
};

export function jsonError(status: number, message: string): Response {
  return Response.json({ error: message }, { status, headers: { "Cache-Control": "no-store" } });
}

/** A typed error's message and status; anything else is logged and answered as a 500 without internals. */
export function errorResponse(error: unknown, where: string): Response {
  if (error instanceof AppError) return jsonError(HTTP_STATUS[error.code], error.message);
  console.error(`[api] ${where}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return jsonError(500, "Something went wrong on the server; the details are in its log.");
}
