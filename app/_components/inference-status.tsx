"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../_trpc/react";
import { describeServedModel } from "./served-model";

// Often enough that a stopped or restarted inference server shows within a couple of seconds.
const POLL_MS = 2_000;

const MODEL_STATE_LABEL = {
  ready: "model loaded",
  loading: "loading model",
  missing: "no model folder",
  failed: "model failed to load",
} as const;

/** A compact live badge: is the inference server up, which provider, and is its model loaded. */
export function InferenceStatus() {
  const trpc = useTRPC();
  const health = useQuery({ ...trpc.system.inferenceHealth.queryOptions(), refetchInterval: POLL_MS });
  const data = health.data;

  if (data === undefined) {
    return <StatusPill tone="muted" label="Inference server: checking…" testValue="checking" />;
  }
  if (data.status === "down") {
    return (
      <StatusPill
        tone="bad"
        label={`Inference server down (${data.reason})`}
        title={`Tried ${data.url}. Start it with \`npm start\`, or check INFERENCE_URL.`}
        testValue="down"
      />
    );
  }
  const modelTone = data.model.state === "ready" ? "ok" : data.model.state === "loading" ? "muted" : "warn";
  const served = data.model.state === "ready" ? describeServedModel(data.model.info) : null;
  return (
    <StatusPill
      tone={modelTone}
      label={`Inference server up · ${data.executionProvider} · ORT ${data.ortVersion} · ${MODEL_STATE_LABEL[data.model.state]}${data.model.state === "ready" ? ` (${data.model.info.name}, ${data.model.info.dtype})` : ""}`}
      title={`${data.modelDir}${"detail" in data.model ? `: ${data.model.detail}` : ""}${served === null ? "" : `: ${served}`} (${data.latencyMs} ms)`}
      testValue="up"
      model={served}
    />
  );
}

const TONE_CLASS = {
  ok: "bg-ok",
  warn: "bg-warn",
  bad: "bg-bad",
  muted: "bg-muted",
} as const;

function StatusPill(props: {
  tone: keyof typeof TONE_CLASS;
  label: string;
  title?: string;
  testValue: string;
  /** The served model's one-line description, for tests and assistive tools. */
  model?: string | null;
}) {
  return (
    <output
      aria-live="polite"
      title={props.title}
      data-testid="inference-status"
      data-status={props.testValue}
      data-model={props.model ?? undefined}
      className="flex items-center gap-2 rounded-full border border-line px-3 py-1 text-xs"
    >
      <span aria-hidden className={`h-2 w-2 rounded-full ${TONE_CLASS[props.tone]}`} />
      {props.label}
    </output>
  );
}
