// `npm start` serves the production build; build it first when there is none or it is older
// than the sources, so `npm install && npm start` works on a fresh clone.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const buildId = path.join(root, '.next', 'BUILD_ID');
const SOURCES = ['app', 'components', 'public', 'next.config.ts', 'postcss.config.mjs', 'package-lock.json'];

function newestMtime(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

const built = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
const sources = Math.max(...SOURCES.map((s) => newestMtime(path.join(root, s))));
if (built >= sources) process.exit(0);

console.log(built ? 'Sources changed since the last build; rebuilding the dashboard…' : 'Building the dashboard (first start)…');
const r = spawnSync('npx', ['--no-install', 'next', 'build'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
});
process.exit(r.status ?? 1);
