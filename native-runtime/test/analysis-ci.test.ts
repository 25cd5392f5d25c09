// berth-analyze, the CI gate: run through its bin launcher against a root holding layers 0–2 of the
// inspector's hand-made image. By hand: size 6005 + 2×10 MiB + 11 = 20,977,536 bytes; wasted = L0's
// base.txt (5) + L1's /big/file (10,485,760) = 10,485,765; efficiency = 10,491,771 / 20,977,536 ≈ 0.50014;
// user wasted (layers after the base) = 10,485,760 / 20,977,536 ≈ 0.49986.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openImageStores } from '../src/images/open.ts';
import { makeInspectorImage, MiB10 } from './analysis-helpers.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/berth-analyze.mjs');
let root: string;
let id: string;

before(async () => {
  root = fs.mkdtempSync('/var/tmp/berth-t-analysis-ci-');
  id = await makeInspectorImage(await openImageStores(root), 'ci:test', 3);
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, BERTH_ROOT: root, BERTH_RUN: path.join(root, 'run') }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const TOTAL = 6005 + 2 * MiB10 + 11;
const WASTED = 5 + MiB10;

test('--json prints exactly the documented shape', () => {
  const r = run('ci:test', '--json');
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['image', 'sizeBytes', 'efficiency', 'wastedBytes', 'userWastedPercent', 'layers', 'inefficientFiles']);
  assert.equal(j.image, id);
  assert.equal(j.sizeBytes, TOTAL);
  assert.equal(j.wastedBytes, WASTED);
  assert.equal(j.efficiency, 1 - WASTED / TOTAL);
  assert.equal(j.userWastedPercent, MiB10 / TOTAL);
  assert.deepEqual(Object.keys(j.layers[0]), ['index', 'digest', 'diffId', 'sizeBytes', 'createdBy', 'changes']);
  assert.deepEqual(
    j.layers.map((l: { index: number; changes: unknown }) => [l.index, l.changes]),
    [[0, { added: 7, modified: 0, removed: 0 }], [1, { added: 2, modified: 0, removed: 0 }], [2, { added: 0, modified: 2, removed: 0 }]],
  );
  assert.deepEqual(j.inefficientFiles, [{ path: '/big/file', count: 2, sizeBytes: MiB10 }, { path: '/etc/base.txt', count: 2, sizeBytes: 5 }]);
});

test('--ci: exit codes on both sides of each threshold', () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['--lowest-efficiency', '0.5'], 0, /PASS\s+lowestEfficiency/],
    [['--lowest-efficiency', '0.51'], 1, /FAIL\s+lowestEfficiency/],
    [['--highest-wasted-bytes', '11MB'], 0, /PASS\s+highestWastedBytes/],
    [['--highest-wasted-bytes', '10MB'], 1, /FAIL\s+highestWastedBytes/],
    [['--highest-user-wasted-percent', '0.5'], 0, /PASS\s+highestUserWastedPercent/],
    [['--highest-user-wasted-percent', '0.49'], 1, /FAIL\s+highestUserWastedPercent/],
  ];
  for (const [flags, code, out] of cases) {
    const r = run('ci:test', '--ci', ...flags);
    assert.equal(r.code, code, `${flags.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, out);
    assert.match(r.stdout, code === 0 ? /Result: PASS/ : /Result: FAIL/);
  }
  // All three together, one failing: the gate fails and names the rule.
  const r = run('ci:test', '--ci', '--json', '--lowest-efficiency', '0.4', '--highest-wasted-bytes', '20MiB', '--highest-user-wasted-percent', '0.3');
  assert.equal(r.code, 1);
  assert.doesNotThrow(() => JSON.parse(r.stdout));
  assert.match(r.stderr, /FAIL\s+highestUserWastedPercent/);
  assert.match(r.stderr, /PASS\s+lowestEfficiency/);
});

test('usage and lookup errors exit 2', () => {
  assert.equal(run().code, 2);
  assert.equal(run('ci:test', '--ci', '--lowest-efficiency', '2').code, 2);
  assert.equal(run('ci:test', '--ci', '--highest-wasted-bytes', 'lots').code, 2);
  const missing = run('no-such:image');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /No such image: no-such:image/);
});
