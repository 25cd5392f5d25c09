-- CreateTable
CREATE TABLE "EndpointRole" (
    "userId" TEXT NOT NULL,
    "endpointId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("userId", "endpointId"),
    CONSTRAINT "EndpointRole_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
