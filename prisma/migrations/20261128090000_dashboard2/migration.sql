-- CreateTable
CREATE TABLE "Build" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userName" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    "durationMs" INTEGER,
    "result" TEXT NOT NULL,
    "imageId" TEXT,
    "tag" TEXT,
    "dockerfile" TEXT NOT NULL,
    "error" TEXT,
    "errorLine" INTEGER
);

-- CreateTable
CREATE TABLE "RegistryCredential" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "secretSealed" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "Build_startedAt_idx" ON "Build"("startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RegistryCredential_url_key" ON "RegistryCredential"("url");
