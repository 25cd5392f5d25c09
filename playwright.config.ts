import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';

// One temporary BERTH_ROOT per run. Workers re-read this file, so the choice travels in the env.
process.env.BERTH_E2E_ROOT ??= fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-'));
process.env.BERTH_E2E_PORT ??= String(3900 + Math.floor(Math.random() * 90));
// Host-global names (run dir, cgroup parent) are per run too, so a real Berth on this host is never touched.
process.env.BERTH_E2E_RUN ??= fs.mkdtempSync('/run/berth-e2e-');
process.env.BERTH_E2E_CGROUP ??= `berth-e2e-${path.basename(process.env.BERTH_E2E_ROOT)}`;
const port = Number(process.env.BERTH_E2E_PORT);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  globalTeardown: './e2e/support/global-teardown.ts',
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  projects: [
    // First-run setup must happen before anything else signs in.
    { name: 'first-run', testMatch: /auth\.spec\.ts/ },
    { name: 'app', testIgnore: /auth\.spec\.ts/, dependencies: ['first-run'] },
  ],
  webServer: {
    command: 'npx tsx server/main.ts',
    url: `${baseURL}/api/trpc/auth.me`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    env: {
      BERTH_ROOT: process.env.BERTH_E2E_ROOT,
      BERTH_RUN: process.env.BERTH_E2E_RUN,
      BERTH_CGROUP_PARENT: process.env.BERTH_E2E_CGROUP,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
    },
  },
});
