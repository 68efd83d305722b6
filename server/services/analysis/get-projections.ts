import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";
import {
  type PatchProjectionPanel,
  type ProjectionPanel,
  toAlignedPanels,
  toPatchPanel,
} from "./projection-panels";

/**
 * Stored projections by id, in the given order, aligned to the reference panel (the first when not named). This
 * is how a shared view shows exactly the coordinates it was shared with: it pins projection ids.
 */
export async function getProjections(options: {
  db: Db;
  projectionIds: readonly string[];
  referenceProjectionId?: string;
}): Promise<{ panels: ProjectionPanel[] }> {
  const rows = await options.db.projection.findMany({ where: { id: { in: [...options.projectionIds] } } });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const ordered = options.projectionIds.map((id) => {
    const row = byId.get(id);
    if (row === undefined) throw new AppError("NOT_FOUND", `No projection ${id}; it may have been deleted.`);
    return row;
  });
  const referenceId = options.referenceProjectionId ?? ordered[0]?.id;
  if (referenceId === undefined) return { panels: [] };
  return { panels: toAlignedPanels(ordered, referenceId) };
}

/** One stored patch projection by id. */
export async function getPatchProjection(options: {
  db: Db;
  projectionId: string;
}): Promise<PatchProjectionPanel> {
  const row = await options.db.projection.findUnique({ where: { id: options.projectionId } });
  if (row === null)
    throw new AppError("NOT_FOUND", `No projection ${options.projectionId}; it may have been deleted.`);
  return toPatchPanel(row);
}
