"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "~/app/_trpc/react";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { isActiveStatus } from "~/server/api/job-states";
import type { AlignmentViewProps } from "./alignment-view";

type JobProgress = Pick<RouterOutputs["analysis"]["job"], "status" | "fraction" | "error">;

/**
 * The settings of a new analysis (kept in the URL): batch size, steps, seed and the other runs of the dataset to
 * compare (the paper's Fig. 4); the progress of the one running.
 */
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
          comparisonRunIds: state.compare,
        });
      }}
    >
      {field("Batch size N", "batchSize", 2, 1024)}
      {field("Steps", "steps", 10, 5000)}
      {field("Seed", "seed", 0, 2 ** 31 - 1)}
      <ComparisonRunPicker {...props} />
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

/** Other runs of the dataset to train probes for too, with the same settings (none = this run alone). */
function ComparisonRunPicker(props: AlignmentViewProps) {
  const trpc = useTRPC();
  const runs = useQuery(trpc.analysis.comparisonRuns.queryOptions({ runId: props.runId }));
  if (runs.data === undefined || runs.data.length === 0) return null;
  const chosen = new Set(props.state.compare);
  const toggle = (runId: string) =>
    props.onStateChange({
      compare: chosen.has(runId)
        ? props.state.compare.filter((id) => id !== runId)
        : [...props.state.compare, runId],
    });
  return (
    <fieldset className="flex flex-wrap items-center gap-3" data-testid="comparison-runs">
      <legend className="sr-only">Compare with runs of the same dataset</legend>
      <span className="text-muted">Compare with</span>
      {runs.data.map((run) => (
        <label key={run.runId} className="flex items-center gap-1" title={run.sources.join(", ")}>
          <input
            type="checkbox"
            checked={chosen.has(run.runId)}
            onChange={() => toggle(run.runId)}
            data-testid={`compare-${run.name}`}
          />
          {run.name}
          <span className="text-muted text-xs">
            {run.model}
            {run.hasLanguageModel ? "" : " · vision encoder"} · {run.done} images
          </span>
        </label>
      ))}
    </fieldset>
  );
}
