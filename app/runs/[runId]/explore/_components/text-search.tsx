"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { SourceSelect } from "~/app/_components/source-select";
import { useTRPC } from "~/app/_trpc/react";

// Images a phrase selects: enough to see where it lands in every panel, few enough to stay a pointed answer.
const TEXT_HITS = 50;

interface TextSearchProps {
  runId: string;
  sources: readonly string[];
  /** The source searched when the user picks none: the explorer's reference panel. */
  defaultSource: string;
  /** The ranked images become the explorer's selection. */
  onSelect: (imageIds: string[]) => void;
}

/**
 * "Search by text": the phrase goes through the language model and the run's alignment probe P, the nearest
 * images become the selection (lit up in every panel, like a lasso). Without an alignment analysis it says so
 * and links to the page that runs one.
 */
export function TextSearch({ runId, sources, defaultSource, onSelect }: TextSearchProps) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState("");
  const [picked, setPicked] = useState("");
  const [asked, setAsked] = useState<{ text: string; source: string } | null>(null);
  const source = sources.includes(picked) ? picked : defaultSource;
  const answer = useQuery({
    ...trpc.search.byText.queryOptions({
      runId,
      source: asked?.source ?? source,
      text: asked?.text ?? "-",
      k: TEXT_HITS,
    }),
    enabled: asked !== null,
    staleTime: Infinity,
  });
  const ready = answer.data?.status === "ready" ? answer.data : null;
  // Each answer selects once: a later lasso or clear is not overridden when the explorer re-renders.
  const applied = useRef<unknown>(null);
  useEffect(() => {
    if (ready === null || applied.current === ready) return;
    applied.current = ready;
    onSelect(ready.hits.map((hit) => hit.imageId));
  }, [ready, onSelect]);
  return (
    <form
      aria-label="Search by text"
      data-testid="text-search"
      className="flex flex-wrap items-center gap-2 rounded-lg border border-line bg-panel px-3 py-2 text-sm"
      onSubmit={(event) => {
        event.preventDefault();
        if (draft.trim() !== "") setAsked({ text: draft.trim(), source });
      }}
    >
      <input
        type="search"
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        placeholder="Search by text, e.g. “a red circle”"
        data-testid="text-search-input"
        className="min-w-64 flex-1 rounded border border-line bg-surface px-2 py-1 text-white"
      />
      <SourceSelect
        label="through P of"
        labelClassName="flex items-center gap-1 text-muted"
        sources={sources}
        value={source}
        onPick={setPicked}
        className="rounded border border-line bg-surface px-1 py-0.5 text-white"
      />
      <button type="submit" className="rounded border border-line px-3 py-1 hover:border-accent">
        Search
      </button>
      <span aria-live="polite" data-testid="text-search-status" className="text-muted">
        {answer.isFetching ? "Searching…" : null}
        {answer.isError ? <span className="text-bad">{answer.error.message}</span> : null}
        {ready !== null && !answer.isFetching
          ? `${ready.hits.length} nearest images to “${ready.text}” selected (${ready.method}, ${ready.searchMs.toFixed(1)} ms)`
          : null}
        {answer.data?.status === "no-alignment" ? (
          <span data-testid="text-search-no-alignment">
            {answer.data.reason} Text search maps the phrase through the alignment probe P.{" "}
            <Link href={`/runs/${runId}/alignment`} className="text-white underline">
              Run an alignment analysis
            </Link>
          </span>
        ) : null}
      </span>
    </form>
  );
}
