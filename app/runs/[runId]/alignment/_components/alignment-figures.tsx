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

/**
 * The analysis' figures: curves of every run's sources (the paper's Fig. 4 when runs are compared) and of each
 * run's ablations (Fig. 5), ablation bars, CKA across all sources and retrieval.
 */
export function AlignmentFigures(props: AlignmentViewProps & { result: AlignmentResult; runName: string }) {
  const { result, state } = props;
  const { settings } = result;
  const sources = result.rows.filter((r) => !r.source.startsWith(ABLATION_PREFIX));
  const chance = result.rows[0]?.chance ?? Number.NaN;
  const isComparison = result.runs.length > 1;
  const textRun = result.runs.find((r) => r.isTextRun);
  const runsLabel = isComparison ? result.runs.map((r) => r.label).join(" vs ") : props.runName;
  const subtitle = `${runsLabel} · N = ${settings.batchSize}, ${settings.steps} steps, seed ${settings.seed}, ${settings.heldOutImages} held-out of ${settings.images} images`;
  return (
    <div className="space-y-8" data-testid="alignment-figures">
      <p className="text-muted text-sm">
        Computed {result.computedAt.toLocaleString()} · {settings.optimizer}, learning rate{" "}
        {settings.learningRate} · text features {settings.textDim}-d
        {isComparison && textRun ? ` from ${textRun.label}'s language model` : ""}
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
        title={
          isComparison ? "Alignment loss per visual source, across runs" : "Alignment loss per visual source"
        }
        subtitle={subtitle}
        rows={sources}
        curve={state.curve}
        chance={chance}
      />
      {result.runs.map((run) => (
        <AblationFigures
          key={run.runId}
          rows={result.rows.filter((r) => r.runId === run.runId)}
          subtitle={isComparison ? `${run.label} · ${subtitle}` : subtitle}
          curve={state.curve}
          chance={chance}
        />
      ))}
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
              title: isComparison
                ? "Linear CKA between the runs' sources and the caption features"
                : "Linear CKA between sources and the caption features",
              subtitle: `${runsLabel} · ${settings.images} images${isComparison ? " every run encoded" : ""} (pooled features)`,
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
            result.rows.map((r) => [r.label, r.r1, r.r5]),
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

/** One run's leave-one-out curves and bars (Fig. 5), when it has the depth feature and breadth features. */
function AblationFigures(props: {
  rows: Row[];
  subtitle: string;
  curve: AlignmentViewProps["state"]["curve"];
  chance: number;
}) {
  const ablations = props.rows.filter((r) => r.source === CONCAT_ALL || r.source.startsWith(ABLATION_PREFIX));
  if (ablations.length < 2) return null;
  const full = ablations.find((r) => r.source === CONCAT_ALL);
  return (
    <>
      <CurveFigure
        title="Leave-one-out: concatenation without one feature"
        subtitle={props.subtitle}
        rows={ablations}
        curve={props.curve}
        chance={props.chance}
      />
      <ExportableFigure
        name="alignment ablation bars"
        csv={() =>
          buildCsv(
            ["source", "held_out_loss", "minus_full_concat"],
            ablations.map((r) => [r.label, r.heldOutLoss, r.heldOutLoss - (full?.heldOutLoss ?? Number.NaN)]),
          )
        }
      >
        <PlotlyFigure
          {...ablationBars(
            {
              title: "Leave-one-out ablation: held-out loss",
              subtitle: `${props.subtitle} · longer bar = the removed feature mattered more`,
            },
            ablations,
            full?.heldOutLoss ?? null,
            props.chance,
          )}
        />
      </ExportableFigure>
    </>
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
              row.label,
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
