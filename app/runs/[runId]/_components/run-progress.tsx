"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { isActiveStatus, isResumableStatus } from "~/server/api/job-states";
import { useTRPC } from "../../../_trpc/react";

function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "estimating…";
  if (seconds < 90) return `${Math.ceil(seconds)} s left`;
  return `${Math.ceil(seconds / 60)} min left`;
}

/** Live counts, rate and ETA of a run (server-sent events), with cancel and resume. */
export function RunProgress({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const subscription = useSubscription(
    trpc.runs.progress.subscriptionOptions(
      { runId },
      {
        onData: () => {
          void queryClient.invalidateQueries({ queryKey: trpc.runs.images.queryKey() });
        },
      },
    ),
  );
  const refresh = () => {
    subscription.reset();
    void queryClient.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ runId }) });
  };
  const cancel = useMutation(trpc.runs.cancel.mutationOptions({ onSuccess: refresh }));
  const resume = useMutation(trpc.runs.resume.mutationOptions({ onSuccess: refresh }));
  // Until the event stream delivers, show the server-rendered state of the run.
  const run = useQuery(trpc.runs.get.queryOptions({ runId }));
  const progress = subscription.data ?? run.data;
  if (progress === undefined)
    return <p className="animate-pulse text-muted text-sm">Connecting to the run…</p>;
  const finished = progress.done + progress.failed;
  const percent = progress.total === 0 ? 100 : Math.round((100 * finished) / progress.total);
  const isActive = isActiveStatus(progress.status);
  return (
    <section
      aria-label="Progress"
      data-testid="run-progress"
      data-status={progress.status}
      className="rounded-lg border border-line bg-panel p-4"
    >
      <div className="mb-2 flex items-baseline justify-between text-sm">
        <span>
          <span className="font-medium">{progress.status}</span> · {progress.done} encoded
          {progress.failed > 0 ? ` · ${progress.failed} failed` : ""} of {progress.total}
        </span>
        <span className="text-muted">
          {isActive && progress.imagesPerS !== null
            ? `${progress.imagesPerS.toFixed(2)} img/s · ${formatEta(progress.etaS)}`
            : null}
        </span>
      </div>
      <div
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        className="h-2 overflow-hidden rounded bg-line"
      >
        <div className="h-full bg-accent transition-all" style={{ width: `${percent}%` }} />
      </div>
      {progress.error ? (
        <p role="alert" className="mt-2 text-bad text-sm">
          {progress.error}
        </p>
      ) : null}
      <div className="mt-3 flex gap-2">
        {isActive ? (
          <button
            type="button"
            onClick={() => cancel.mutate({ runId })}
            disabled={cancel.isPending}
            className="rounded border border-line px-3 py-1 text-sm hover:border-bad"
          >
            Cancel
          </button>
        ) : null}
        {isResumableStatus(progress.status) ? (
          <button
            type="button"
            onClick={() => resume.mutate({ runId })}
            disabled={resume.isPending}
            className="rounded border border-line px-3 py-1 text-sm hover:border-accent"
          >
            Resume
          </button>
        ) : null}
      </div>
    </section>
  );
}
