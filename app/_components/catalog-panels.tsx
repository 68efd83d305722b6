"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useTRPC } from "../_trpc/react";
import { DatasetUpload } from "./datasets/dataset-upload";
import { StartRunForm } from "./start-run-form";

// Runs move while encoding; refresh the list at a pace a person reads it.
const RUNS_POLL_MS = 3_000;

export function CatalogPanels() {
  const trpc = useTRPC();
  const datasets = useQuery(trpc.catalog.datasets.queryOptions());
  const runs = useQuery({ ...trpc.catalog.runs.queryOptions(), refetchInterval: RUNS_POLL_MS });

  return (
    <div className="grid gap-6 md:grid-cols-2">
      <Panel title="Datasets" testId="datasets-panel">
        {datasets.isPending ? (
          <Loading />
        ) : datasets.isError ? (
          <ErrorNote message={datasets.error.message} />
        ) : datasets.data.length === 0 ? (
          <Empty>No datasets yet. Upload images below, or import a folder on the server.</Empty>
        ) : (
          <ul className="divide-y divide-line">
            {datasets.data.map((dataset) => (
              <li key={dataset.id} className="flex items-baseline justify-between py-2 text-sm">
                <Link href={`/datasets/${dataset.id}`} className="font-medium hover:text-accent">
                  {dataset.name}
                </Link>
                <span className="text-muted">
                  {dataset.imageCount} images · {dataset.runCount} runs · {dataset.source}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Panel>
      <Panel title="Runs" testId="runs-panel">
        {runs.isPending ? (
          <Loading />
        ) : runs.isError ? (
          <ErrorNote message={runs.error.message} />
        ) : runs.data.length === 0 ? (
          <Empty>
            No runs yet. A run encodes a dataset with a model and keeps every feature it produces.
          </Empty>
        ) : (
          <ul className="divide-y divide-line">
            {runs.data.map((run) => (
              <li key={run.id} className="py-2 text-sm">
                <div className="flex items-baseline justify-between">
                  <Link href={`/runs/${run.id}`} className="font-medium hover:text-accent">
                    {run.name}
                  </Link>
                  <span className="text-muted">{run.status}</span>
                </div>
                <div className="text-muted text-xs">
                  {run.datasetName} · {run.done}/{run.total} encoded
                  {run.failed > 0 ? ` · ${run.failed} failed` : ""}
                </div>
              </li>
            ))}
          </ul>
        )}
      </Panel>
      <div className="md:col-span-2">
        <DatasetUpload />
        <p className="mt-2 text-muted text-sm">
          <Link href="/datasets/new" className="hover:text-accent">
            New dataset page, and folder import from the server →
          </Link>
        </p>
      </div>
      <div className="md:col-span-2">
        <StartRunForm />
      </div>
    </div>
  );
}

function Panel(props: { title: string; testId: string; children: ReactNode }) {
  return (
    <section
      aria-label={props.title}
      data-testid={props.testId}
      className="rounded-lg border border-line bg-panel p-4"
    >
      <h2 className="mb-3 font-medium text-muted text-sm uppercase tracking-wide">{props.title}</h2>
      {props.children}
    </section>
  );
}

function Loading() {
  return <p className="animate-pulse text-muted text-sm">Loading…</p>;
}

function Empty({ children }: { children: ReactNode }) {
  return <p className="text-muted text-sm">{children}</p>;
}

function ErrorNote({ message }: { message: string }) {
  return (
    <p role="alert" className="text-bad text-sm">
      Could not load: {message}
    </p>
  );
}
