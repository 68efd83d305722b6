-- CreateTable
CREATE TABLE "WorkerHeartbeat" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "inferenceUrl" TEXT NOT NULL,
    "executionProvider" TEXT,
    "model" TEXT,
    "imagesLastMinute" INTEGER NOT NULL DEFAULT 0,
    "currentJobId" TEXT,
    "currentJobKind" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WorkerHeartbeat_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WorkerHeartbeat_seenAt_idx" ON "WorkerHeartbeat"("seenAt");

