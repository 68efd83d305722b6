import { TRPCClientError } from "@trpc/client";
import { AppError } from "~/server/app-error";

/**
 * Runs one inference-server call and turns what a user can meet into AppErrors that say what to do: a model
 * that cannot do the request (no language model), a model not loaded, a server that is down or too slow.
 */
export async function callInference<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const code = (error.data as { code?: string } | undefined)?.code;
    if (code === "PRECONDITION_FAILED") throw new AppError("CONFLICT", error.message, { cause: error });
    if (code === "BAD_REQUEST") throw new AppError("BAD_INPUT", error.message, { cause: error });
    if (code === "SERVICE_UNAVAILABLE")
      throw new AppError("UNAVAILABLE", `${what}: ${error.message}`, { cause: error });
    if (code !== undefined) throw error;
    const cause = error.cause;
    const reason =
      cause instanceof Error && cause.name === "TimeoutError"
        ? "the inference server did not answer in time; try again when it is less busy"
        : "the inference server is not reachable; start it (npm start) and try again";
    throw new AppError("UNAVAILABLE", `${what}: ${reason}.`, { cause: error });
  }
}
