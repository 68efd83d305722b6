import { TRPCClientError } from "@trpc/client";
import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import type { InferenceClient } from "~/server/services/inference-client";
import type { Db } from "~/server/store/db";
import {
  DEFAULT_PROMPTS,
  DEFAULT_QUESTIONS,
  defaultSources,
  type RunSettings,
  runSettingsSchema,
} from "./run-settings";
import { createRunWithJob } from "./run-status";

export interface CreateRunOptions {
  db: Db;
  queue: JobQueue;
  inference: InferenceClient;
  datasetId: string;
  /** A known model folder (name or absolute path; server/services/models); the inference server's default if unset. */
  model?: string;
  name?: string;
  prompts?: string[];
  questions?: string[];
  includeStages?: boolean;
  dtype?: RunSettings["dtype"];
  batchSize?: number;
}

/**
 * Creates a run of a dataset with a model the inference server serves (`model`, else its default), and queues it. The model's folder,
 * fingerprint and what health says of it (source format, weight dtype, breadth mode, pad-to-square) are recorded
 * so stored features always say which weights made them and how. The run and its job are
 * created in one transaction.
 */
export async function createRun(
  options: CreateRunOptions,
): Promise<{ id: string; name: string; jobId: string }> {
  const { db } = options;
  const dataset = await db.dataset.findUnique({
    where: { id: options.datasetId },
    include: { _count: { select: { items: true } } },
  });
  if (dataset === null) throw new AppError("NOT_FOUND", `No dataset ${options.datasetId}.`);
  if (dataset._count.items === 0)
    throw new AppError("BAD_INPUT", `Dataset "${dataset.name}" has no images to encode.`);
  // Loads the model if the server has not yet (it may serve several); an unknown one is refused there.
  const model = await options.inference.load
    .mutate(options.model === undefined ? {} : { model: options.model })
    .catch((error: unknown) => {
      if (error instanceof TRPCClientError && error.data?.code === "BAD_REQUEST")
        throw new AppError("BAD_INPUT", error.message, { cause: error });
      throw new AppError(
        "UNAVAILABLE",
        "The inference server is not reachable; start it (npm start) and try again.",
        { cause: error },
      );
    });
  if (model.state !== "ready") {
    throw new AppError(
      "UNAVAILABLE",
      `The inference server's model ${model.name} is not ready (${model.state}${"detail" in model ? `: ${model.detail}` : ""}).`,
    );
  }
  const prompts = options.prompts?.length ? options.prompts : DEFAULT_PROMPTS;
  if (model.kind === "encoder" && options.questions?.length)
    throw new AppError(
      "BAD_INPUT",
      `${model.name} is a comparison encoder: it has no language model to answer questions.`,
    );
  const settings = runSettingsSchema.parse({
    prompts,
    // A comparison encoder has one source (encoder:<family>); Florence folders the usual set.
    sources:
      model.kind === "encoder" ? model.sources : defaultSources(prompts, options.includeStages ?? false),
    questions: model.kind === "florence-vl" ? (options.questions ?? DEFAULT_QUESTIONS) : [],
    dtype: options.dtype ?? "fp16",
  });
  const name = options.name ?? `${dataset.name} · ${new Date().toISOString().slice(0, 19).replace("T", " ")}`;
  if (await db.run.findUnique({ where: { name } }))
    throw new AppError("CONFLICT", `A run named "${name}" exists; pick another name.`);
  return createRunWithJob({
    db,
    queue: options.queue,
    run: {
      name,
      datasetId: dataset.id,
      modelDir: model.dir,
      modelHash: model.fingerprint,
      modelInfo: model.info,
      prompts: settings.prompts,
      sources: settings.sources,
      questions: settings.questions,
      dtype: settings.dtype,
      batchSize: options.batchSize ?? 4,
      total: dataset._count.items,
    },
  });
}
