-- AlterTable
ALTER TABLE "Job" ADD COLUMN "result" JSONB;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Projection" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "mode" TEXT NOT NULL DEFAULT 'pooled',
    "method" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "paramsKey" TEXT NOT NULL,
    "seed" INTEGER NOT NULL,
    "inputHash" TEXT NOT NULL,
    "points" JSONB NOT NULL,
    "coords" BLOB NOT NULL,
    "quality" JSONB,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Projection_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
-- Projections are a cache: rows written before `points` existed cannot say what their rows are, so they are
-- dropped rather than copied (they are recomputed on the next request).
DROP TABLE "Projection";
ALTER TABLE "new_Projection" RENAME TO "Projection";
CREATE INDEX "Projection_runId_source_idx" ON "Projection"("runId", "source");
CREATE UNIQUE INDEX "Projection_inputHash_method_paramsKey_key" ON "Projection"("inputHash", "method", "paramsKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
