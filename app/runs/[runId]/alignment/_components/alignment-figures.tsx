"use client";

import { BarChart, Heatmap, LineChart } from "~/app/_components/charts/charts";
import { ExportableFigure } from "~/app/_components/charts/exportable-figure";
import { SERIES_COLOURS } from "~/app/_components/charts/figure-frame";
import type { LineSeries } from "~/app/_components/charts/line-chart";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { buildCsv } from "~/lib/viz/figure-csv";
import type { AlignmentViewProps } from "./alignment-view";
import { RetrievalTable } from "./retrieval-table";

type AlignmentResult = NonNullable<RouterOutputs["analysis"]["alignment"]>;
type Row = AlignmentResult["rows"][number];

// The alignment job names its concatenation rows so (server/services/analysis/alignment-sources.ts).
const CONCAT_ALL = "concat: all";
const ABLATION_PREFIX = "concat − ";
// Curve figures: wide enough for 300 steps and a legend column of source names.
const CURVE_SIZE = { width: 760, height: 360 };

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
            <BarChart
              title="Leave-one-out ablation: held-out loss"
              subtitle={`${subtitle} · longer bar = the removed feature mattered more`}
              width={CURVE_SIZE.width}
              valueLabel="held-out contrastive loss"
              bars={ablations.map((r, i) => ({
                label: r.source,
                value: r.heldOutLoss,
                colour: SERIES_COLOURS[i % SERIES_COLOURS.length] ?? "#fff",
              }))}
              references={[
                ...(full ? [{ label: "all", value: full.heldOutLoss }] : []),
                { label: "chance", value: chance },
              ]}
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
        <Heatmap
          title="Linear CKA between sources and the caption features"
          subtitle={`${props.runName} · ${settings.images} images (pooled features)`}
          labels={result.cka.sources}
          matrix={result.cka.matrix}
          domain={[0, 1]}
          colourLabel="CKA"
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
  const series: LineSeries[] = props.rows.flatMap((row, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length] ?? "#fff";
    const heldOut = { name: `${row.source} (held-out)`, x: row.steps, y: row.heldOutCurve, colour };
    const train = { name: `${row.source} (train)`, x: row.steps, y: row.trainLoss, colour, isDashed: true };
    if (props.curve === "both") return [heldOut, train];
    return [props.curve === "train" ? { ...train, name: row.source } : { ...heldOut, name: row.source }];
  });
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
      <LineChart
        title={props.title}
        subtitle={props.subtitle}
        {...CURVE_SIZE}
        xLabel="training step"
        yLabel="contrastive loss"
        series={series}
        references={[{ label: `chance (ln N = ${props.chance.toFixed(2)})`, y: props.chance }]}
      />
    </ExportableFigure>
  );
}
