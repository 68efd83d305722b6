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
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "attempts" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "new_Job" ("cancelRequested", "createdAt", "error", "heartbeatAt", "id", "kind", "lockedBy", "payload", "progress", "requestKey", "result", "runId", "status", "total", "updatedAt") SELECT "cancelRequested", "createdAt", "error", "heartbeatAt", "id", "kind", "lockedBy", "payload", "progress", "requestKey", "result", "runId", "status", "total", "updatedAt" FROM "Job";
DROP TABLE "Job";
ALTER TABLE "new_Job" RENAME TO "Job";
CREATE INDEX "Job_status_createdAt_idx" ON "Job"("status", "createdAt");
CREATE INDEX "Job_kind_status_idx" ON "Job"("kind", "status");
CREATE INDEX "Job_kind_requestKey_idx" ON "Job"("kind", "requestKey");
CREATE INDEX "Job_kind_runId_status_idx" ON "Job"("kind", "runId", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

