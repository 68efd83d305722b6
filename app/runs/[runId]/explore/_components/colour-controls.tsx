"use client";

import { parseColourBy } from "~/lib/viz/colour-by";

const FIELD = "rounded border border-line bg-surface px-2 py-1 text-sm text-white";
// Starting points for the free-form colourings; the user edits them in place.
const DEFAULT_WORD = "red";
const DEFAULT_CLUSTERS = 6;

/** Colour points by label, caption word, a prompt's answer, k-means cluster or encoding status. */
export function ColourControls({
  colourBy,
  labelKeys,
  prompts,
  onChange,
}: {
  colourBy: string;
  labelKeys: string[];
  prompts: string[];
  onChange: (colourBy: string) => void;
}) {
  const parsed = parseColourBy(colourBy);
  const kind =
    parsed.kind === "label"
      ? `label:${parsed.key}`
      : parsed.kind === "answer"
        ? `answer:${parsed.prompt}`
        : parsed.kind;
  return (
    <div className="flex flex-wrap items-center gap-2">
      <label className="flex items-center gap-1 text-muted text-xs">
        Colour by
        <select
          data-testid="colour-by"
          value={kind}
          onChange={(event) => {
            const next = event.target.value;
            if (next === "word") onChange(`word:${DEFAULT_WORD}`);
            else if (next === "cluster") onChange(`cluster:${DEFAULT_CLUSTERS}`);
            else onChange(next);
          }}
          className={FIELD}
        >
          <option value="none">nothing</option>
          <optgroup label="Labels">
            {labelKeys.map((key) => (
              <option key={key} value={`label:${key}`}>
                {key}
              </option>
            ))}
          </optgroup>
          <option value="word">caption word…</option>
          <optgroup label="Answers">
            {prompts.map((prompt) => (
              <option key={prompt} value={`answer:${prompt}`}>
                {prompt}
              </option>
            ))}
          </optgroup>
          <option value="cluster">clusters (k-means)</option>
          <option value="status">encoding status</option>
        </select>
      </label>
      {parsed.kind === "word" ? (
        <input
          key={parsed.word}
          aria-label="Caption word"
          defaultValue={parsed.word}
          onKeyDown={(event) => {
            if (event.key === "Enter" && event.currentTarget.value.trim())
              onChange(`word:${event.currentTarget.value.trim()}`);
          }}
          onBlur={(event) => {
            if (event.currentTarget.value.trim()) onChange(`word:${event.currentTarget.value.trim()}`);
          }}
          className={`${FIELD} w-28`}
        />
      ) : null}
      {parsed.kind === "cluster" ? (
        <input
          aria-label="Number of clusters"
          type="number"
          min={2}
          max={20}
          value={parsed.k}
          onChange={(event) => {
            const k = Number(event.target.value);
            if (Number.isInteger(k) && k >= 2 && k <= 20) onChange(`cluster:${k}`);
          }}
          className={`${FIELD} w-16`}
        />
      ) : null}
    </div>
  );
}
