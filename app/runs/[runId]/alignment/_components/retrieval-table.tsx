"use client";

import { downloadFile } from "~/app/_components/download-file";
import { buildCsv } from "~/lib/viz/figure-csv";

interface RetrievalRow {
  label: string;
  dim: number;
  heldOutLoss: number;
  chance: number;
  r1: number;
  r5: number;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** Held-out image→text recall per source with its loss, best loss first; the table's data as CSV. */
export function RetrievalTable({ rows, subtitle }: { rows: readonly RetrievalRow[]; subtitle: string }) {
  const sorted = [...rows].sort((a, b) => a.heldOutLoss - b.heldOutLoss);
  const csv = () =>
    buildCsv(
      ["source", "dim", "held_out_loss", "chance", "recall_at_1", "recall_at_5"],
      sorted.map((r) => [r.label, r.dim, r.heldOutLoss, r.chance, r.r1, r.r5]),
    );
  return (
    <section aria-labelledby="retrieval-title" className="space-y-2">
      <div className="flex items-baseline justify-between gap-3">
        <h2 id="retrieval-title" className="font-medium">
          Image → text retrieval on held-out images
        </h2>
        <button
          type="button"
          data-testid="retrieval-csv"
          onClick={() => downloadFile("alignment-retrieval.csv", csv(), "text/csv")}
          className="rounded border border-line px-2 py-0.5 text-xs hover:border-accent"
        >
          Export CSV
        </button>
      </div>
      <p className="text-muted text-xs">{subtitle}</p>
      <table className="w-full text-sm" data-testid="retrieval-table">
        <thead className="text-left text-muted">
          <tr>
            <th className="py-1 font-normal">source</th>
            <th className="py-1 text-right font-normal">dim</th>
            <th className="py-1 text-right font-normal">held-out loss</th>
            <th className="py-1 text-right font-normal">chance</th>
            <th className="py-1 text-right font-normal">R@1</th>
            <th className="py-1 text-right font-normal">R@5</th>
          </tr>
        </thead>
        <tbody className="tabular-nums">
          {sorted.map((row) => (
            <tr key={row.label} className="border-line border-t">
              <td className="py-1">{row.label}</td>
              <td className="py-1 text-right">{row.dim}</td>
              <td className="py-1 text-right">{row.heldOutLoss.toFixed(3)}</td>
              <td className="py-1 text-right">{row.chance.toFixed(3)}</td>
              <td className="py-1 text-right">{percent(row.r1)}</td>
              <td className="py-1 text-right">{percent(row.r5)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
