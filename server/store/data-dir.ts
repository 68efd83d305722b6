import fs from "node:fs/promises";
import path from "node:path";

/** Sub-folders of DATA_DIR (docs/architecture.md, Storage). */
export const DATA_SUBDIRS = ["images", "thumbnails", "features", "exports", "imports"] as const;

/** Creates DATA_DIR and its sub-folders if missing; safe to call on every start. */
export async function ensureDataDir(dataDir: string): Promise<void> {
  await Promise.all(DATA_SUBDIRS.map((sub) => fs.mkdir(path.join(dataDir, sub), { recursive: true })));
}
