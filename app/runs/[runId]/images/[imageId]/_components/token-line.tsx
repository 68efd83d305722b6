"use client";

/**
 * A prompt's or answer's tokens as buttons: the selected one is highlighted and its attention is shown; picking
 * it again (or the answer line's "all") goes back to the average over every answer token.
 */
export function TokenLine(props: {
  label: string;
  tokens: string[];
  /** Offer "all" (every token averaged) first. */
  hasAll: boolean;
  selected: number | undefined;
  onSelect: (index: number | undefined) => void;
}) {
  return (
    <p
      className="flex flex-wrap items-baseline gap-0.5 text-sm"
      data-testid={`tokens-${props.label.toLowerCase()}`}
    >
      <span className="mr-2 text-muted">{props.label}:</span>
      {props.hasAll ? (
        <button
          type="button"
          aria-pressed={props.selected === undefined}
          onClick={() => props.onSelect(undefined)}
          className="mr-1 rounded px-1 text-muted text-xs aria-pressed:bg-accent aria-pressed:text-black"
        >
          all
        </button>
      ) : null}
      {props.tokens.map((token, i) => (
        <button
          // Tokens repeat; their position is their identity.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          key={i}
          type="button"
          aria-pressed={props.selected === i}
          onClick={() => props.onSelect(props.selected === i ? undefined : i)}
          className="rounded px-0.5 font-mono hover:bg-line aria-pressed:bg-accent aria-pressed:text-black"
        >
          {token.replace(/^Ġ|^▁/, " ") || "∅"}
        </button>
      ))}
    </p>
  );
}
