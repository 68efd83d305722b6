-- CreateTable
CREATE TABLE "WorkerHeartbeat" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "inferenceUrl" TEXT NOT NULL,
    "executionProvider" TEXT,
    "model" TEXT,
    "imagesLastMinute" INTEGER NOT NULL DEFAULT 0,
    "currentJobId" TEXT,
    "currentJobKind" TEXT,
    "startedAt" DATETIME NOT NULL,
    "seenAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "WorkerHeartbeat_seenAt_idx" ON "WorkerHeartbeat"("seenAt");

