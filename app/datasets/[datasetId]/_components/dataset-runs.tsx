"use client";

import Link from "next/link";
import { DeleteRunButton } from "~/app/_components/delete-run-button";
import type { RouterOutputs } from "~/app/_trpc/router-types";

type Run = RouterOutputs["datasets"]["get"]["runs"][number];

/** The runs made on a dataset, each with its progress, a link and a delete button. */
export function DatasetRuns({ runs }: { runs: Run[] }) {
  return (
    <section aria-label="Runs on this dataset" data-testid="dataset-runs">
      <h2 className="mb-2 font-medium text-muted text-sm uppercase tracking-wide">Runs on this dataset</h2>
      {runs.length === 0 ? (
        <p className="text-muted text-sm">No runs yet: start one below.</p>
      ) : (
        <ul className="divide-y divide-line rounded border border-line text-sm">
          {runs.map((run) => (
            <li
              key={run.id}
              className="flex items-center justify-between gap-3 px-3 py-2"
              data-testid="dataset-run"
            >
              <span>
                <Link href={`/runs/${run.id}`} className="font-medium hover:text-accent">
                  {run.name}
                </Link>
                <span className="ml-2 text-muted">
                  {run.status} · {run.done}/{run.total} encoded
                  {run.failed > 0 ? ` · ${run.failed} failed` : ""}
                </span>
              </span>
              <DeleteRunButton runId={run.id} onDeleted={() => {}} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
