import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import { requestKeyOf } from "~/server/jobs/request-key";
import { keptSourcesOf } from "~/server/services/runs/kept-sources";
import type { Db } from "~/server/store/db";
import { countCaptionedImages, minimumAlignmentImages } from "./alignment-inputs";

// The paper does not publish its probe's settings; 300 Adam steps bring the mini model's probes to a plateau.
export const DEFAULT_ALIGNMENT_STEPS = 300;

/**
 * Queues the alignment analysis of a run (paper Figs. 4–5): one linear probe per visual source against the
 * captions' language-model features, with one batch size and seed for all rows so their losses compare.
 * An identical analysis already queued or running is returned instead of a second one.
 */
export async function requestAlignment(options: {
  db: Db;
  queue: JobQueue;
  runId: string;
  batchSize?: number;
  seed?: number;
  steps?: number;
}): Promise<{ jobId: string }> {
  const { db, runId } = options;
  const batchSize = options.batchSize ?? 32;
  const seed = options.seed ?? 0;
  const steps = options.steps ?? DEFAULT_ALIGNMENT_STEPS;
  await keptSourcesOf(db, runId);
  const { captioned, withoutCaption } = await countCaptionedImages(db, runId);
  const needed = minimumAlignmentImages(batchSize);
  if (captioned < needed) {
    throw new AppError(
      "BAD_INPUT",
      `A batch size of ${batchSize} needs at least ${needed} encoded images with captions; this run has ` +
        `${captioned}${withoutCaption > 0 ? ` (${withoutCaption} more have no caption)` : ""}. ` +
        "Lower the batch size, or add captions in the dataset's manifest.",
    );
  }
  const payload = { runId, batchSize, seed, steps };
  const jobId = await options.queue.enqueue("alignment", payload, { key: requestKeyOf(payload) });
  return { jobId };
}
