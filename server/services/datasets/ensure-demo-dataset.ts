import type { Db } from "~/server/store/db";
import type { ImportLimits, ImportReport } from "./dataset-types";
import { importFolder } from "./import-folder";

export const DEMO_DATASET_NAME = "demo: florence-vl-mini scenes";

/**
 * Imports the bundled demo set (`demo/florence-vl-mini-scenes`: held-out synthetic scenes with their ground-truth
 * captions and labels) once, so the first screen has something real to explore. Idempotent: when a dataset with
 * the demo's name exists, nothing is read or written.
 */
export async function ensureDemoDataset(options: {
  db: Db;
  dataDir: string;
  demoDir: string;
  limits?: ImportLimits;
  maxInputPixels?: number;
}): Promise<{ isCreated: boolean; datasetId: string; report: ImportReport | null }> {
  const { db, dataDir, demoDir } = options;
  const existing = await db.dataset.findUnique({ where: { name: DEMO_DATASET_NAME }, select: { id: true } });
  if (existing) return { isCreated: false, datasetId: existing.id, report: null };
  try {
    const report = await importFolder({
      db,
      dataDir,
      roots: [demoDir],
      folder: demoDir,
      name: DEMO_DATASET_NAME,
      source: "demo",
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.maxInputPixels ? { maxInputPixels: options.maxInputPixels } : {}),
    });
    return { isCreated: true, datasetId: report.dataset.id, report };
  } catch (error) {
    // Two processes starting at once: the other one created it first.
    const created = await db.dataset.findUnique({ where: { name: DEMO_DATASET_NAME }, select: { id: true } });
    if (created) return { isCreated: false, datasetId: created.id, report: null };
    throw error;
  }
}
