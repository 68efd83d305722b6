/**
 * Errors a user can meet. Each carries a stable code the API layer maps to a transport status in one place
 * (server/api/trpc.ts), and a message that says what to do.
 */
export type AppErrorCode = "NOT_FOUND" | "BAD_INPUT" | "CONFLICT" | "UNAVAILABLE" | "PAYLOAD_TOO_LARGE";

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: AppErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
