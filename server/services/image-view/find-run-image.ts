import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";

/** An image of a run's dataset with its stored file; NOT_FOUND when the run or the image is not there. */
export async function findRunImage(db: Db, runId: string, where: { imageId: string } | { sha256: string }) {
  const run = await db.run.findUnique({ where: { id: runId } });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${runId}.`);
  const item = await db.datasetItem.findFirst({
    where: {
      datasetId: run.datasetId,
      ...("imageId" in where ? where : { image: { sha256: where.sha256 } }),
    },
    include: { image: true },
  });
  if (item === null) throw new AppError("NOT_FOUND", `Run ${run.name} has no such image.`);
  return { run, item, image: item.image };
}
