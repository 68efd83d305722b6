"use client";

import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "~/app/_trpc/react";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { isActiveStatus } from "~/server/api/job-states";
import type { AlignmentViewProps } from "./alignment-view";

type JobProgress = Pick<RouterOutputs["analysis"]["job"], "status" | "fraction" | "error">;

/** The settings of a new analysis (kept in the URL) and the progress of the one running. */
export function AlignmentRequest(
  props: AlignmentViewProps & { job: JobProgress | null; jobError: string | null },
) {
  const trpc = useTRPC();
  const request = useMutation(
    trpc.analysis.requestAlignment.mutationOptions({
      onSuccess: ({ jobId }) => props.onStateChange({ job: jobId }),
    }),
  );
  const { state, job } = props;
  const isRunning = job !== null && isActiveStatus(job.status);
  const field = (label: string, key: "batchSize" | "steps" | "seed", min: number, max: number) => (
    <label className="flex items-center gap-2 text-muted">
      {label}
      <input
        type="number"
        min={min}
        max={max}
        value={state[key]}
        onChange={(event) => props.onStateChange({ [key]: Number(event.target.value) })}
        className="w-20 rounded border border-line bg-surface px-1 text-white"
      />
    </label>
  );
  return (
    <form
      className="flex flex-wrap items-center gap-4 rounded-lg border border-line bg-panel p-3 text-sm"
      onSubmit={(event) => {
        event.preventDefault();
        request.mutate({
          runId: props.runId,
          batchSize: state.batchSize,
          steps: state.steps,
          seed: state.seed,
        });
      }}
    >
      {field("Batch size N", "batchSize", 2, 1024)}
      {field("Steps", "steps", 10, 5000)}
      {field("Seed", "seed", 0, 2 ** 31 - 1)}
      <button
        type="submit"
        data-testid="request-alignment"
        disabled={request.isPending || isRunning}
        className="rounded border border-line px-3 py-1 hover:border-accent disabled:opacity-50"
      >
        Run analysis
      </button>
      <span aria-live="polite" data-testid="alignment-job" data-status={job?.status ?? "none"}>
        {request.isError ? (
          <span role="alert" className="text-bad">
            {request.error.message}
          </span>
        ) : props.jobError ? (
          <span role="alert" className="text-bad">
            {props.jobError}
          </span>
        ) : job === null ? null : job.status === "failed" ? (
          <span role="alert" className="text-bad">
            The analysis failed: {job.error}
          </span>
        ) : (
          <span className={isRunning ? "animate-pulse text-muted" : "text-muted"}>
            {job.status} · {Math.round(job.fraction * 100)}%
          </span>
        )}
      </span>
    </form>
  );
}
