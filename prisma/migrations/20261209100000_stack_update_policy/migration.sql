-- CreateTable
CREATE TABLE "StackUpdatePolicy" (
    "endpointId" TEXT NOT NULL,
    "stack" TEXT NOT NULL,
    "policy" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("endpointId", "stack")
);
