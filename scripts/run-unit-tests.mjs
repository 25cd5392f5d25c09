// Runs every *.test.ts outside e2e/ with node's test runner (through tsx).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', '.next', 'e2e', '.git', 'build']);

function find(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) find(p, out);
    else if (entry.name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

// Most suites start real containers through the addon: without it they cannot run, so say so once, loudly.
const addon = path.join(root, 'native-runtime/build/Release/berth_native.node');
if (!fs.existsSync(addon)) {
  console.error(`The native addon is missing (${path.relative(root, addon)}). Build it with \`npm run build:native -w native-runtime\` (npm install does this) and run the tests again.`);
  process.exit(1);
}

const only = process.argv.slice(2);
const files = only.length ? only : find(root, []).sort();
if (files.length === 0) {
  console.error('no unit test files found');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
});
process.exit(r.status ?? 1);
