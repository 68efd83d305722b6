"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { PatchMap } from "~/app/_components/charts/charts";
import { ExportableFigure } from "~/app/_components/charts/exportable-figure";
import { useTRPC } from "~/app/_trpc/react";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { float32OfBase64 } from "~/lib/codec/base64";
import { type AttentionGrids, selectGrid } from "~/lib/tensor/attention-grids";
import { buildCsv } from "~/lib/viz/figure-csv";
import type { ImageViewState } from "./image-view-state";
import { TokenLine } from "./token-line";

type AttentionView = RouterOutputs["imageView"]["attention"];
type GridsView = AttentionView["tasks"][number]["crossAttention"];

// Per-layer maps are small multiples: narrower than the PCA maps so a 12-layer model fits in three rows.
const LAYER_MAP_WIDTH = 180;

interface AttentionSectionProps {
  runId: string;
  imageId: string;
  photo: string | null;
  aspect: number;
  state: ImageViewState;
  onStateChange: (patch: Partial<ImageViewState>) => void;
}

/** What one attention choice shows: its label, answer tokens, prompt tokens and their grids. */
interface AttentionChoice {
  key: string;
  label: string;
  answerTokens: string[];
  answerGrids: GridsView;
  promptGrids: GridsView | null;
}

function choicesOf(view: AttentionView): AttentionChoice[] {
  return [
    ...view.tasks.map((task) => ({
      key: `task:${task.task}`,
      label: task.task,
      answerTokens: task.tokens,
      answerGrids: task.crossAttention,
      promptGrids: task.promptAttention,
    })),
    ...view.answers.map((answer, i) => ({
      key: `question:${i}`,
      label: `Q: ${answer.question}`,
      answerTokens: answer.tokens,
      answerGrids: answer.visualAttention,
      promptGrids: null,
    })),
  ];
}

/**
 * Attention maps computed live for this image: per layer, averaged over heads or one head, for every answer token
 * (averaged), one answer token or one prompt token; the answer's tokens are the links that pick the query.
 */
export function AttentionSection(props: AttentionSectionProps) {
  const trpc = useTRPC();
  const attention = useQuery(
    trpc.imageView.attention.queryOptions(
      { runId: props.runId, imageId: props.imageId },
      { staleTime: Number.POSITIVE_INFINITY, retry: false },
    ),
  );
  return (
    <section aria-labelledby="attention-title" className="space-y-4">
      <h2 id="attention-title" className="font-medium text-muted text-sm uppercase tracking-wide">
        Attention maps and answers
      </h2>
      {attention.isPending ? (
        <p className="animate-pulse text-muted text-sm">Running the model on this image for its attention…</p>
      ) : attention.isError ? (
        <p role="alert" className="text-bad text-sm">
          {attention.error.message}{" "}
          <button type="button" className="underline" onClick={() => void attention.refetch()}>
            Try again
          </button>
        </p>
      ) : (
        <AttentionMaps {...props} view={attention.data} />
      )}
    </section>
  );
}

function AttentionMaps(props: AttentionSectionProps & { view: AttentionView }) {
  const { state } = props;
  const choices = choicesOf(props.view);
  const choice = choices.find((c) => c.key === state.attention) ?? choices[0];
  const [kind, index] = state.query.split(":");
  const isPrompt = kind === "prompt" && choice?.promptGrids != null;
  const gridsView = isPrompt ? choice?.promptGrids : choice?.answerGrids;
  const grids = useMemo(() => decodeGrids(gridsView ?? null), [gridsView]);
  if (choice === undefined)
    return <p className="text-muted text-sm">This run asks no prompts or questions.</p>;
  // A token index from the URL counts only for the grids it indexes (prompt or answer) and only when in range.
  const query =
    index !== undefined && (kind === "prompt") === isPrompt && Number(index) < (grids?.queries.length ?? 0)
      ? Number(index)
      : undefined;
  const heads = grids?.heads ?? 0;
  const head = state.head >= 0 && state.head < heads ? state.head : undefined;
  const queryText =
    query === undefined
      ? `every ${isPrompt ? "prompt" : "answer"} token`
      : `"${grids?.queries[query] ?? "?"}"`;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-x-6 gap-y-2 text-sm">
        <label className="flex items-center gap-2 text-muted">
          Output
          <select
            data-testid="attention-choice"
            value={choice.key}
            onChange={(event) => props.onStateChange({ attention: event.target.value, query: "" })}
            className="max-w-md rounded border border-line bg-surface px-1 text-white"
          >
            {choices.map((c) => (
              <option key={c.key} value={c.key}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-2 text-muted">
          Heads
          <select
            value={head ?? -1}
            onChange={(event) => props.onStateChange({ head: Number(event.target.value) })}
            className="rounded border border-line bg-surface px-1 text-white"
          >
            <option value={-1}>mean of {heads} heads</option>
            {[...Array(heads).keys()].map((h) => (
              <option key={h} value={h}>
                head {h + 1}
              </option>
            ))}
          </select>
        </label>
      </div>
      {props.view.answersNote ? <p className="text-muted text-sm">{props.view.answersNote}</p> : null}
      {choice.promptGrids?.available ? (
        <TokenLine
          label="Prompt"
          hasAll={false}
          tokens={choice.promptGrids.queries}
          selected={kind === "prompt" ? query : undefined}
          onSelect={(i) => props.onStateChange({ query: i === undefined ? "" : `prompt:${i}` })}
        />
      ) : null}
      <TokenLine
        label="Answer"
        hasAll={true}
        tokens={choice.answerTokens}
        selected={kind === "answer" ? query : undefined}
        onSelect={(i) => props.onStateChange({ query: i === undefined ? "" : `answer:${i}` })}
      />
      {gridsView?.available === false ? (
        <p className="text-muted text-sm">{gridsView.reason}</p>
      ) : grids === null ? null : (
        <div className="flex flex-wrap gap-3" data-testid="attention-maps">
          {[...Array(grids.layers).keys()].map((layer) => {
            const values = selectGrid(grids, layer, { head, query });
            const [, cols] = grids.grid;
            const title = `${choice.label} · layer ${layer + 1}`;
            return (
              <ExportableFigure
                key={layer}
                name={`attention ${title}`}
                csv={() =>
                  buildCsv(
                    ["cell", "row", "col", "attention"],
                    Array.from(values, (v, cell) => [cell, Math.floor(cell / cols), cell % cols, v]),
                  )
                }
              >
                <PatchMap
                  title={title}
                  subtitle={`${head === undefined ? "mean over heads" : `head ${head + 1}`} · ${queryText}`}
                  mapWidth={LAYER_MAP_WIDTH}
                  photo={props.photo}
                  aspect={props.aspect}
                  grid={grids.grid}
                  overlay={{
                    kind: "scalar",
                    values,
                    domain: [0, Math.max(...values, 1e-9)],
                    label: "attention",
                  }}
                  opacity={state.opacity}
                  selectedCell={null}
                />
              </ExportableFigure>
            );
          })}
        </div>
      )}
    </div>
  );
}

function decodeGrids(view: GridsView | null): AttentionGrids | null {
  if (view === null || !view.available) return null;
  return {
    layers: view.layers,
    heads: view.heads,
    queries: view.queries,
    grid: view.grid,
    data: float32OfBase64(view.data),
  };
}
