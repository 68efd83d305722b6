"use client";

import { PlotlyFigure } from "~/app/_components/charts/charts";
import { ExportableFigure } from "~/app/_components/charts/exportable-figure";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { buildCsv } from "~/lib/viz/figure-csv";
import { ablationBars, ckaHeatmap, lossCurves, retrievalBars } from "./alignment-plots";
import type { AlignmentViewProps } from "./alignment-view";
import { RetrievalTable } from "./retrieval-table";

type AlignmentResult = NonNullable<RouterOutputs["analysis"]["alignment"]>;
type Row = AlignmentResult["rows"][number];

// The alignment job names its concatenation rows so (server/services/analysis/alignment-sources.ts).
const CONCAT_ALL = "concat: all";
const ABLATION_PREFIX = "concat − ";

/** The analysis' figures: curves of each source and of the ablations, ablation bars, CKA and retrieval. */
export function AlignmentFigures(props: AlignmentViewProps & { result: AlignmentResult; runName: string }) {
  const { result, state } = props;
  const { settings } = result;
  const sources = result.rows.filter((r) => !r.source.startsWith(ABLATION_PREFIX));
  const ablations = result.rows.filter(
    (r) => r.source === CONCAT_ALL || r.source.startsWith(ABLATION_PREFIX),
  );
  const full = result.rows.find((r) => r.source === CONCAT_ALL);
  const chance = result.rows[0]?.chance ?? Number.NaN;
  const subtitle = `${props.runName} · N = ${settings.batchSize}, ${settings.steps} steps, seed ${settings.seed}, ${settings.heldOutImages} held-out of ${settings.images} images`;
  return (
    <div className="space-y-8" data-testid="alignment-figures">
      <p className="text-muted text-sm">
        Computed {result.computedAt.toLocaleString()} · {settings.optimizer}, learning rate{" "}
        {settings.learningRate} · text features {settings.textDim}-d
        {settings.isTextModelOfRun === false ? (
          <span className="text-warn">
            {" "}
            from another model than the run's: the curves compare something else
          </span>
        ) : null}
        {settings.skippedWithoutCaption > 0
          ? ` · ${settings.skippedWithoutCaption} images without caption left out`
          : ""}
      </p>
      <div className="flex flex-wrap items-center gap-3 text-sm" role="radiogroup" aria-label="Loss shown">
        {(
          [
            ["heldOut", "held-out loss"],
            ["train", "training loss"],
            ["both", "both"],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="flex items-center gap-1">
            <input
              type="radio"
              name="curve"
              checked={state.curve === value}
              onChange={() => props.onStateChange({ curve: value })}
            />
            {label}
          </label>
        ))}
      </div>
      <CurveFigure
        title="Alignment loss per visual source"
        subtitle={subtitle}
        rows={sources}
        curve={state.curve}
        chance={chance}
      />
      {ablations.length > 1 ? (
        <>
          <CurveFigure
            title="Leave-one-out: concatenation without one feature"
            subtitle={subtitle}
            rows={ablations}
            curve={state.curve}
            chance={chance}
          />
          <ExportableFigure
            name="alignment ablation bars"
            csv={() =>
              buildCsv(
                ["source", "held_out_loss", "minus_full_concat"],
                ablations.map((r) => [
                  r.source,
                  r.heldOutLoss,
                  r.heldOutLoss - (full?.heldOutLoss ?? Number.NaN),
                ]),
              )
            }
          >
            <PlotlyFigure
              {...ablationBars(
                {
                  title: "Leave-one-out ablation: held-out loss",
                  subtitle: `${subtitle} · longer bar = the removed feature mattered more`,
                },
                ablations,
                full?.heldOutLoss ?? null,
                chance,
              )}
            />
          </ExportableFigure>
        </>
      ) : null}
      <ExportableFigure
        name="alignment CKA"
        csv={() =>
          buildCsv(
            ["source", ...result.cka.sources],
            result.cka.matrix.map((row, i) => [result.cka.sources[i] ?? "", ...row]),
          )
        }
      >
        <PlotlyFigure
          {...ckaHeatmap(
            {
              title: "Linear CKA between sources and the caption features",
              subtitle: `${props.runName} · ${settings.images} images (pooled features)`,
            },
            result.cka.sources,
            result.cka.matrix,
          )}
        />
      </ExportableFigure>
      <ExportableFigure
        name="alignment retrieval"
        csv={() =>
          buildCsv(
            ["source", "recall_at_1", "recall_at_5"],
            result.rows.map((r) => [r.source, r.r1, r.r5]),
          )
        }
      >
        <PlotlyFigure
          {...retrievalBars({ title: "Image → text retrieval on held-out images", subtitle }, result.rows)}
        />
      </ExportableFigure>
      <RetrievalTable rows={result.rows} subtitle={subtitle} />
    </div>
  );
}

function CurveFigure(props: {
  title: string;
  subtitle: string;
  rows: Row[];
  curve: AlignmentViewProps["state"]["curve"];
  chance: number;
}) {
  return (
    <ExportableFigure
      name={props.title}
      csv={() =>
        buildCsv(
          ["source", "step", "train_loss", "held_out_loss"],
          props.rows.flatMap((row) =>
            row.steps.map((step, k) => [
              row.source,
              step,
              row.trainLoss[k] ?? null,
              row.heldOutCurve[k] ?? null,
            ]),
          ),
        )
      }
    >
      <PlotlyFigure
        {...lossCurves(
          { title: props.title, subtitle: props.subtitle },
          props.rows,
          props.curve,
          props.chance,
        )}
      />
    </ExportableFigure>
  );
}
