import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const repo = path.resolve(import.meta.dirname, '../..');

test('without root the first call fails clearly, saying the embedded engine needs root', () => {
  const root = fs.mkdtempSync('/var/tmp/berth-nonroot-');
  fs.chownSync(root, 65534, 65534);
  try {
    const script = `
      import { Berth } from '@berth/runtime';
      const b = new Berth({ root: ${JSON.stringify(root)}, run: ${JSON.stringify(path.join(root, 'run'))} });
      try { await b.info(); console.log('NO ERROR'); }
      catch (e) { console.log(JSON.stringify({ status: e.statusCode, message: e.message })); }`;
    const out = execFileSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: repo, env: { ...process.env, HOME: root }, encoding: 'utf8' },
    );
    const result = JSON.parse(out.trim().split('\n').pop()!) as { status: number; message: string };
    assert.equal(result.status, 500);
    assert.match(result.message, /needs root/);
    assert.deepEqual(fs.readdirSync(root), [], 'nothing was written into the root');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
