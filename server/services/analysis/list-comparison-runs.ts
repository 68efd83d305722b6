import path from "node:path";
import { AppError } from "~/server/app-error";
import { runModelInfoSchema, runSettingsSchema } from "~/server/services/runs/run-settings";
import type { Db } from "~/server/store/db";
import { hasLanguageModel } from "./alignment-runs";

export interface ComparisonRun {
  runId: string;
  name: string;
  /** The model's name (its folder's, for runs made before Lens recorded the served model). */
  model: string;
  status: string;
  /** Encoded images. */
  done: number;
  sources: string[];
  hasLanguageModel: boolean;
}

/** The other runs of the run's dataset, newest first: what its alignment analysis can compare against. */
export async function listComparisonRuns(options: { db: Db; runId: string }): Promise<ComparisonRun[]> {
  const { db } = options;
  const run = await db.run.findUnique({ where: { id: options.runId }, select: { datasetId: true } });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${options.runId}.`);
  const others = await db.run.findMany({
    where: { datasetId: run.datasetId, id: { not: options.runId } },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      name: true,
      modelDir: true,
      modelInfo: true,
      status: true,
      done: true,
      prompts: true,
      sources: true,
      questions: true,
      dtype: true,
    },
  });
  return others.map((other) => {
    const info = runModelInfoSchema.safeParse(other.modelInfo);
    const { sources } = runSettingsSchema.parse(other);
    return {
      runId: other.id,
      name: other.name,
      model: info.success ? info.data.name : path.basename(other.modelDir),
      status: other.status,
      done: other.done,
      sources,
      hasLanguageModel: hasLanguageModel(sources),
    };
  });
}
