"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../_trpc/react";

// Workers report every 5 s; the table follows at the same pace.
const POLL_MS = 5_000;

function secondsAgo(date: Date, now: number): string {
  return `${Math.max(0, Math.round((now - date.getTime()) / 1000))} s ago`;
}

export function WorkersTable() {
  const trpc = useTRPC();
  const workers = useQuery({ ...trpc.workers.list.queryOptions(), refetchInterval: POLL_MS });
  if (workers.error) return <p className="text-red-400 text-sm">{workers.error.message}</p>;
  if (workers.data === undefined) return <p className="text-muted text-sm">Loading workers…</p>;
  if (workers.data.length === 0)
    return (
      <p className="text-muted text-sm">
        No worker has reported in the last hour. Start one with <code>npm run worker</code>.
      </p>
    );
  const now = workers.dataUpdatedAt;
  return (
    <table className="w-full border-collapse text-sm" data-testid="workers-table">
      <thead className="text-left text-muted">
        <tr>
          <th className="py-1 pr-4">Host</th>
          <th className="py-1 pr-4">Execution provider</th>
          <th className="py-1 pr-4">Model</th>
          <th className="py-1 pr-4 text-right">Images/s (last minute)</th>
          <th className="py-1 pr-4">Current job</th>
          <th className="py-1 pr-4">Last heartbeat</th>
        </tr>
      </thead>
      <tbody>
        {workers.data.map((worker) => (
          <tr key={worker.id} className={`border-line border-t ${worker.isSilent ? "text-muted" : ""}`}>
            <td className="py-1 pr-4" title={`${worker.id} → ${worker.inferenceUrl}`}>
              {worker.host} <span className="text-muted">pid {worker.pid}</span>
            </td>
            <td className="py-1 pr-4">{worker.executionProvider ?? "inference server unreachable"}</td>
            <td className="py-1 pr-4">{worker.model ?? "—"}</td>
            <td className="py-1 pr-4 text-right tabular-nums">{worker.imagesPerSecond.toFixed(2)}</td>
            <td className="py-1 pr-4">
              {worker.currentJob === null ? "idle" : `${worker.currentJob.kind} ${worker.currentJob.id}`}
            </td>
            <td className="py-1 pr-4">
              {secondsAgo(worker.lastHeartbeat, now)}
              {worker.isSilent ? " (silent)" : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
