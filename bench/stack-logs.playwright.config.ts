// `npx next build && npx playwright test -c bench/stack-logs.playwright.config.ts`: the merged logs of a
// five-service stack holding 1,000,000 lines, opened in the browser (issue #18's target: under 1 s).
// The main e2e config (server, roots, browser), with this measurement as its only test after first run.
import { defineConfig, type PlaywrightTestConfig } from '@playwright/test';
import base from '../playwright.config.ts';

// Paths in a config are relative to its own folder.
const server = base.webServer as NonNullable<PlaywrightTestConfig['webServer']> & { command: string };

export default defineConfig({
  ...base,
  testDir: '..',
  outputDir: '../test-results',
  globalTeardown: '../e2e/support/global-teardown.ts',
  webServer: { ...server, cwd: '..' },
  timeout: 900_000,
  projects: [
    { name: 'first-run', testMatch: /e2e\/auth\.spec\.ts/ },
    { name: 'bench', testMatch: /bench\/stack-logs\.pw\.ts/, dependencies: ['first-run'] },
  ],
});
