-- In-flight OIDC sign-ins (state, PKCE verifier, nonce), taken once by the callback.
CREATE TABLE "OidcFlow" (
    "state" TEXT NOT NULL PRIMARY KEY,
    "verifier" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "OidcFlow_expiresAt_idx" ON "OidcFlow"("expiresAt");
