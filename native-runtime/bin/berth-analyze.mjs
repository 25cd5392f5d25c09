#!/usr/bin/env node
// Launcher for berth-analyze.ts: runs it in a child node with tsx's loader (resolved from here, so it
// works from any working directory), passing arguments, stdio and the exit code through.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./berth-analyze.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const r = spawnSync(process.execPath, ['--import', tsx, script, ...process.argv.slice(2)], { stdio: 'inherit' });
if (r.error) {
  console.error(`berth-analyze: ${r.error.message}`);
  process.exit(2);
}
process.exit(r.status ?? (r.signal ? 128 : 2));
