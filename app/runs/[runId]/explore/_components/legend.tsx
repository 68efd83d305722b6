import type { LegendEntry } from "~/lib/viz/categories";

/** The colour key shared by every panel; picking an entry selects its points (e.g. one k-means cluster). */
export function Legend({
  title,
  entries,
  onPick,
}: {
  title: string;
  entries: LegendEntry[];
  onPick: (index: number) => void;
}) {
  return (
    <section aria-label="Legend" className="text-sm">
      <h3 className="mb-1 text-muted text-xs uppercase tracking-wide">{title} · click to select</h3>
      <ul className="flex flex-wrap gap-x-2 gap-y-1">
        {entries.map((entry, index) => (
          <li key={entry.label}>
            <button
              type="button"
              onClick={() => onPick(index)}
              className="flex items-center gap-1.5 rounded px-1.5 py-0.5 hover:bg-line"
            >
              <span className="inline-block size-2.5 rounded-full" style={{ background: entry.colour }} />
              <span className="max-w-48 truncate" title={entry.label}>
                {entry.label}
              </span>
              <span className="text-muted text-xs">{entry.count}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
