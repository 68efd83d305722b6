"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { ViewState } from "~/lib/viz/view-state";
import { useTRPC } from "../../../../_trpc/react";

// Expiry choices in hours; 0 = never.
const EXPIRY_HOURS = [
  { hours: 0, label: "never expires" },
  { hours: 1, label: "expires in 1 hour" },
  { hours: 24, label: "expires in 1 day" },
  { hours: 24 * 7, label: "expires in 7 days" },
  { hours: 24 * 30, label: "expires in 30 days" },
];

/** Where a share token opens: the read-only shared view. */
function shareUrl(token: string): string {
  return `${window.location.origin}/s/${token}`;
}

/**
 * "Share": a read-only link with an unguessable token to exactly this view. The state pins the panels'
 * projection ids (same coordinates even if layouts are recomputed later); links can expire and be revoked.
 */
export function SharePanel({
  runId,
  state,
  pins,
  canShare,
}: {
  runId: string;
  state: ViewState;
  /** The projection ids the link pins (see useViewPanels). */
  pins: Record<string, unknown>;
  canShare: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const view = `/runs/${runId}/explore`;
  const [hours, setHours] = useState(0);
  const links = useQuery(trpc.share.list.queryOptions({ view }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.share.list.queryKey() });
  const create = useMutation(trpc.share.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.share.revoke.mutationOptions({ onSuccess: refresh }));
  const createLink = () =>
    create.mutate({
      view,
      state: { ...state, ...pins },
      ...(hours > 0 ? { expiresAt: new Date(Date.now() + hours * 3_600_000) } : {}),
    });
  return (
    <details className="relative">
      <summary
        data-testid="share-open"
        className="cursor-pointer rounded border border-line px-3 py-1 text-sm hover:border-accent"
      >
        Share
      </summary>
      <div className="absolute right-0 z-30 mt-1 w-96 space-y-3 rounded border border-line bg-panel p-3 shadow-lg">
        <p className="text-muted text-xs">
          A read-only link to this exact view: same layouts, colours and selection. Anyone with the link can
          open it.
        </p>
        <div className="flex items-center gap-2">
          <select
            aria-label="Expiry"
            value={hours}
            onChange={(event) => setHours(Number(event.target.value))}
            className="rounded border border-line bg-surface px-2 py-1 text-sm"
          >
            {EXPIRY_HOURS.map((choice) => (
              <option key={choice.hours} value={choice.hours}>
                {choice.label}
              </option>
            ))}
          </select>
          <button
            type="button"
            data-testid="share-create"
            disabled={!canShare || create.isPending}
            onClick={createLink}
            className="rounded bg-accent px-3 py-1 text-sm text-surface disabled:opacity-50"
          >
            {create.isPending ? "Creating…" : "Create link"}
          </button>
        </div>
        {!canShare ? <p className="text-muted text-xs">Wait for the layouts before sharing.</p> : null}
        {create.isError ? (
          <p role="alert" className="text-bad text-sm">
            {create.error.message}
          </p>
        ) : null}
        {create.data ? (
          <>
            <input
              data-testid="share-url"
              readOnly
              value={shareUrl(create.data.token)}
              onFocus={(event) => event.currentTarget.select()}
              className="w-full rounded border border-line bg-surface px-2 py-1 font-mono text-xs"
            />
            <p className="text-muted text-xs">
              Copy it now: the server keeps only a hash, so it shows it once.
            </p>
          </>
        ) : null}
        {links.data && links.data.length > 0 ? (
          <ul className="max-h-48 space-y-1 overflow-auto text-xs" aria-label="Links to this view">
            {links.data.map((link) => (
              <li
                key={link.id}
                data-testid="share-link"
                data-status={link.status}
                className="flex items-center gap-2"
              >
                <span className="truncate text-muted" title={link.createdBy ?? undefined}>
                  {link.createdAt.toLocaleString()}
                </span>
                <span className={link.status === "active" ? "text-ok" : "text-muted"}>{link.status}</span>
                <span className="text-muted">
                  {link.expiresAt ? `until ${link.expiresAt.toLocaleDateString()}` : "no expiry"}
                </span>
                {link.status === "active" ? (
                  <button
                    type="button"
                    data-testid="share-revoke"
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate({ linkId: link.id })}
                    className="ml-auto rounded border border-line px-2 py-0.5 hover:border-bad"
                  >
                    Revoke
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </details>
  );
}
