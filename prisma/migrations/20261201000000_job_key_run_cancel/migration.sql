-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Job" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "progress" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "result" JSONB,
    "lockedBy" TEXT,
    "heartbeatAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "requestKey" TEXT,
    "runId" TEXT,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false
);
-- Hand-edited: the new columns are filled from what older rows kept elsewhere (the request key and run id in the
-- payload, a cancel request as a marker in "error"), so jobs queued or running across the upgrade keep working.
INSERT INTO "new_Job" ("createdAt", "error", "heartbeatAt", "id", "kind", "lockedBy", "payload", "progress", "result", "status", "total", "updatedAt", "requestKey", "runId", "cancelRequested") SELECT "createdAt", CASE WHEN "error" = 'cancel requested' THEN NULL ELSE "error" END, "heartbeatAt", "id", "kind", "lockedBy", "payload", "progress", "result", "status", "total", "updatedAt", json_extract("payload", '$.requestKey'), json_extract("payload", '$.runId'), "error" = 'cancel requested' FROM "Job";
DROP TABLE "Job";
ALTER TABLE "new_Job" RENAME TO "Job";
CREATE INDEX "Job_status_createdAt_idx" ON "Job"("status", "createdAt");
CREATE INDEX "Job_kind_status_idx" ON "Job"("kind", "status");
CREATE INDEX "Job_kind_requestKey_idx" ON "Job"("kind", "requestKey");
CREATE INDEX "Job_kind_runId_status_idx" ON "Job"("kind", "runId", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

