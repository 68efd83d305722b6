import { runSettingsSchema } from "~/server/services/runs/run-settings";
import type { Db } from "~/server/store/db";
import { findRunImage } from "./find-run-image";

export interface ImageSummaryView {
  runId: string;
  runName: string;
  imageId: string;
  sha256: string;
  fileName: string;
  caption: string | null;
  width: number | null;
  height: number | null;
  status: "done" | "failed" | "pending";
  error: string | null;
  /** The run's kept feature sources, in its order. */
  sources: string[];
  prompts: string[];
  questions: string[];
  /** The neighbouring images in dataset order, for keyboard paging; null at either end. */
  previousImageId: string | null;
  nextImageId: string | null;
}

/** What the image view shows around its figures: the image, its run's sources and its neighbours. */
export async function getImageSummary(options: {
  db: Db;
  runId: string;
  imageId: string;
}): Promise<ImageSummaryView> {
  const { db } = options;
  const { run, item, image } = await findRunImage(db, options.runId, { imageId: options.imageId });
  const settings = runSettingsSchema.parse(run);
  const [result, previous, next] = await Promise.all([
    db.runImage.findUnique({ where: { runId_imageId: { runId: run.id, imageId: image.id } } }),
    db.datasetItem.findFirst({
      where: { datasetId: run.datasetId, position: { lt: item.position } },
      orderBy: { position: "desc" },
      select: { imageId: true },
    }),
    db.datasetItem.findFirst({
      where: { datasetId: run.datasetId, position: { gt: item.position } },
      orderBy: { position: "asc" },
      select: { imageId: true },
    }),
  ]);
  return {
    runId: run.id,
    runName: run.name,
    imageId: image.id,
    sha256: image.sha256,
    fileName: item.fileName,
    caption: item.caption,
    width: image.width,
    height: image.height,
    status: result === null ? "pending" : result.status === "done" ? "done" : "failed",
    error: result?.error ?? null,
    sources: settings.sources,
    prompts: settings.prompts,
    questions: settings.questions,
    previousImageId: previous?.imageId ?? null,
    nextImageId: next?.imageId ?? null,
  };
}
