-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Run" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "datasetId" TEXT NOT NULL,
    "modelDir" TEXT NOT NULL,
    "modelHash" TEXT NOT NULL,
    "prompts" JSONB NOT NULL,
    "sources" JSONB NOT NULL,
    "dtype" TEXT NOT NULL DEFAULT 'fp16',
    "questions" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "jobId" TEXT,
    "batchSize" INTEGER NOT NULL DEFAULT 4,
    "total" INTEGER NOT NULL DEFAULT 0,
    "done" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Run_datasetId_fkey" FOREIGN KEY ("datasetId") REFERENCES "Dataset" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("createdAt", "datasetId", "done", "dtype", "error", "failed", "finishedAt", "id", "modelDir", "modelHash", "name", "prompts", "questions", "sources", "startedAt", "status", "total") SELECT "createdAt", "datasetId", "done", "dtype", "error", "failed", "finishedAt", "id", "modelDir", "modelHash", "name", "prompts", "questions", "sources", "startedAt", "status", "total" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE UNIQUE INDEX "Run_name_key" ON "Run"("name");
CREATE INDEX "Run_datasetId_createdAt_idx" ON "Run"("datasetId", "createdAt");
CREATE INDEX "Run_status_idx" ON "Run"("status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
