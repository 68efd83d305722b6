import type { ModelLoadState, ServedModel } from "~/server/inference/engine-host";
import type { InferenceClient } from "~/server/services/inference-client";

export type InferenceHealth =
  | {
      status: "up";
      url: string;
      latencyMs: number;
      modelDir: string;
      executionProvider: string;
      ortVersion: string;
      uptimeS: number;
      model:
        | { state: "missing" | "failed"; detail: string }
        | { state: "loading" }
        | {
            state: "ready";
            kind: Extract<ModelLoadState, { state: "ready" }>["kind"];
            graphCount: number;
            info: ServedModel;
          };
    }
  | { status: "down"; url: string; reason: string };

/** Asks the inference server how it is; an unreachable or slow server is reported as down with the reason. */
export async function getInferenceHealth(options: {
  client: InferenceClient;
  url: string;
}): Promise<InferenceHealth> {
  const started = performance.now();
  try {
    const health = await options.client.health.query();
    return {
      status: "up",
      url: options.url,
      latencyMs: Math.round(performance.now() - started),
      modelDir: health.modelDir,
      executionProvider: health.executionProvider,
      ortVersion: health.ortVersion,
      uptimeS: Math.round(health.uptimeS),
      model:
        health.model.state === "ready"
          ? {
              state: "ready",
              kind: health.model.kind,
              graphCount: health.model.graphCount,
              info: health.model.info,
            }
          : health.model,
    };
  } catch (error) {
    return { status: "down", url: options.url, reason: describeFailure(error) };
  }
}

function describeFailure(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error && cause.name === "TimeoutError") return "no answer in time";
  if (cause instanceof Error && /ECONNREFUSED|fetch failed/.test(cause.message)) return "not reachable";
  return cause instanceof Error ? cause.message : String(cause);
}
