import path from "node:path";
import { AppError } from "~/server/app-error";
import { runModelInfoSchema, runSettingsSchema } from "~/server/services/runs/run-settings";
import type { Db } from "~/server/store/db";
import type { AlignmentRun } from "./alignment-types";

/** Most runs one analysis compares (the requested one included): every source of each gets a probe. */
export const MAX_COMPARED_RUNS = 8;

export interface ComparedRun extends AlignmentRun {
  modelDir: string;
  modelHash: string;
  datasetId: string;
  /** The run's kept sources. */
  sources: string[];
}

// A comparison-encoder folder (CLIP, SigLIP, DINOv2: docs/architecture.md, model folders) gives runs whose only
// sources are `encoder:<family>`; such models have no language model to embed captions.
const ENCODER_SOURCE_PREFIX = "encoder:";

/** Whether the run's model has a language model (the caption features' maker). */
export function hasLanguageModel(sources: readonly string[]): boolean {
  return sources.some((source) => !source.startsWith(ENCODER_SOURCE_PREFIX));
}

/**
 * The runs of one (cross-run) alignment analysis, the requested one first, each once: all on the requested run's
 * dataset, at most MAX_COMPARED_RUNS. The caption features come from the first run with a language model (the
 * requested one when it has one). Rows are labelled by the model's name, or by the run's where two compared
 * runs share a model. NOT_FOUND for an unknown run; BAD_INPUT for another dataset, too many runs, or no run with a
 * language model.
 */
export async function resolveComparedRuns(
  db: Db,
  runId: string,
  comparisonRunIds: readonly string[] = [],
): Promise<ComparedRun[]> {
  const ids = [...new Set([runId, ...comparisonRunIds])];
  if (ids.length > MAX_COMPARED_RUNS) {
    throw new AppError(
      "BAD_INPUT",
      `An analysis compares at most ${MAX_COMPARED_RUNS} runs; ${ids.length} were given.`,
    );
  }
  const rows = await db.run.findMany({
    where: { id: { in: ids } },
    select: {
      id: true,
      name: true,
      datasetId: true,
      modelDir: true,
      modelHash: true,
      modelInfo: true,
      prompts: true,
      sources: true,
      questions: true,
      dtype: true,
      dataset: { select: { name: true } },
    },
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const runs = ids.map((id) => {
    const row = byId.get(id);
    if (row === undefined) throw new AppError("NOT_FOUND", `No run ${id}.`);
    return row;
  });
  const [requested] = runs as [(typeof runs)[number], ...typeof runs];
  for (const other of runs) {
    if (other.datasetId !== requested.datasetId) {
      throw new AppError(
        "BAD_INPUT",
        `Run "${other.name}" is on dataset "${other.dataset.name}", not "${requested.dataset.name}" like ` +
          `"${requested.name}": only runs of the same images compare.`,
      );
    }
  }
  const sourcesOf = runs.map((run) => runSettingsSchema.parse(run).sources);
  const textIndex = sourcesOf.findIndex((sources) => hasLanguageModel(sources));
  if (textIndex < 0) {
    throw new AppError(
      "BAD_INPUT",
      "None of the compared runs has a language model to embed the captions (vision-only encoders have none): " +
        "add a run of a Florence-VL model.",
    );
  }
  const modelLabels = runs.map((run) => {
    const info = runModelInfoSchema.safeParse(run.modelInfo);
    return info.success ? info.data.name : path.basename(run.modelDir);
  });
  return runs.map((run, i) => {
    const modelLabel = modelLabels[i] as string;
    const isShared = modelLabels.filter((label) => label === modelLabel).length > 1;
    return {
      runId: run.id,
      name: run.name,
      label: isShared ? run.name : modelLabel,
      isTextRun: i === textIndex,
      modelDir: run.modelDir,
      modelHash: run.modelHash,
      datasetId: run.datasetId,
      sources: sourcesOf[i] as string[],
    };
  });
}

/** A row's name: the bare source in a one-run analysis, `<run label> · <source>` across runs. */
export function sourceLabel(runs: readonly AlignmentRun[], run: AlignmentRun, source: string): string {
  return runs.length === 1 ? source : `${run.label} · ${source}`;
}
