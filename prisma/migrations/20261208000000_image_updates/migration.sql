-- CreateTable
CREATE TABLE "ImageUpdate" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "endpointId" TEXT NOT NULL,
    "containerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "fromImageId" TEXT NOT NULL,
    "toImageId" TEXT,
    "currentId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "trigger" TEXT NOT NULL,
    "actor" TEXT,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "ImageUpdate_endpointId_finishedAt_idx" ON "ImageUpdate"("endpointId", "finishedAt");
