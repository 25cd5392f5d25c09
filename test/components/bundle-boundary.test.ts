// The browser bundle holds no server or engine module: pages and components may import only types from
// server/ and @berth/runtime (which loads a native addon). A value import there would drag Node-only
// code (and secrets' handling) into the client, so this fails on the first one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { sources, valueImports } from '../support/imports.ts';

const root = path.resolve(import.meta.dirname, '../..');
const SERVER_ONLY = [/^@berth\/runtime(\/|$)/, /^@\/server\//, /^\.{1,2}\/(.*\/)?server\//];

test('the scanner tells type-only imports from value imports', () => {
  assert.deepEqual(valueImports('a.ts', "import type { A } from '../../server/x';\nimport { type B } from '@berth/runtime/engine';\nimport { c } from '../../server/y';\nexport * from '@/server/z';\nconst m = import('@berth/runtime');"), ['../../server/y', '@/server/z', '@berth/runtime']);
});

test('components/ and app/ import nothing from server/ or @berth/runtime but types', () => {
  const bad: string[] = [];
  for (const dir of ['components', 'app']) {
    for (const file of sources(path.join(root, dir))) {
      for (const spec of valueImports(file, fs.readFileSync(file, 'utf8'))) {
        if (SERVER_ONLY.some((re) => re.test(spec))) bad.push(`${path.relative(root, file)}: ${spec}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});
