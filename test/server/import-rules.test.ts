// The layering rules of docs/architecture.md ("Code layout"), checked on every import:
// - the runtime (native-runtime/src) knows nothing of the dashboard;
// - outside server/api, the server reaches tRPC only where it is mounted (http/handler.ts) and reuses only
//   its zod schemas; shared server pieces (Services, endpoint choice, settings, credentials) live beside it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { sources, valueImports } from '../support/imports.ts';

const root = path.resolve(import.meta.dirname, '../..');

function importsOf(dir: string): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  for (const file of sources(path.join(root, dir))) {
    for (const spec of valueImports(file, fs.readFileSync(file, 'utf8'))) {
      const target = spec.startsWith('.') ? path.relative(root, path.resolve(path.dirname(file), spec)) : spec;
      out.push({ file: path.relative(root, file), target });
    }
  }
  return out;
}

test('the runtime imports nothing from the dashboard', () => {
  const bad = importsOf('native-runtime/src').filter(({ target }) => /^(server|app|components)\//.test(target) || target.startsWith('@/'));
  assert.deepEqual(bad, []);
});

test('outside server/api, only the request handler mounts tRPC and only schemas are shared', () => {
  const bad = importsOf('server')
    .filter(({ file }) => !file.startsWith('server/api/'))
    .filter(({ target }) => target.startsWith('server/api/'))
    .filter(({ file, target }) => !(file === 'server/http/handler.ts' && /^server\/api\/(root|trpc)\.ts$/.test(target)))
    .filter(({ target }) => !/^server\/api\/routers\/[^/]+\/schemas\.ts$/.test(target));
  assert.deepEqual(bad, []);
});
