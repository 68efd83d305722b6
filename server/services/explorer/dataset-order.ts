import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";

/**
 * The explorer's point order for a run: its dataset's images by position. Every run of a dataset has the same
 * order, so point i is the same image in panels of any of them (panels from two runs link by index).
 */
export async function datasetOrder(
  db: Db,
  runId: string,
): Promise<{ datasetId: string; imageIds: string[] }> {
  const run = await db.run.findUnique({ where: { id: runId }, select: { datasetId: true } });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${runId}.`);
  const items = await db.datasetItem.findMany({
    where: { datasetId: run.datasetId },
    orderBy: { position: "asc" },
    select: { imageId: true },
  });
  return { datasetId: run.datasetId, imageIds: items.map((item) => item.imageId) };
}
