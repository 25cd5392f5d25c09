// A long build's per-step work must not grow with the steps before it (issue #16 item 14): ENV and
// word expansion go through an index carried from step to step, history entries are shared between a
// step's config and its parent's, the cache key is hashed in chunks. Each must give exactly what the
// whole-list versions gave (the image ids of a build depend on it).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { canonicalJSON, cacheKey } from '../src/builder/cache-key.ts';
import { childConfig } from '../src/builder/executor/image.ts';
import { BuildArgs } from '../src/builder/instructions/build-args.ts';
import { envGet, envSet } from '../src/builder/instructions/env-index.ts';
import { dispatchEnv } from '../src/builder/instructions/expand.ts';
import { envFromList } from '../src/builder/parser/shell-lex.ts';
import { normalizeContainerConfig, normalizeImageConfig, type ImageConfig } from '../src/images/types.ts';

/** Docker's ENV (builder/dockerfile/dispatchers.go): the first entry of the name replaced, else appended. */
function envSetByScan(env: readonly string[], key: string, value: string): string[] {
  const out = [...env];
  const i = out.findIndex((e) => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e) === key);
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

test('ENV through the index: same list and lookups as a scan, duplicates and bare names included', () => {
  // A base image may carry a name twice or without '=': ENV replaces the first, a lookup sees the last.
  let indexed: string[] = ['PATH=/bin', 'DUP=first', 'BARE', 'DUP=second'];
  let scanned = [...indexed];
  const before = [...indexed];
  const original = indexed;
  let seed = 7;
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let step = 0; step < 500; step++) {
    const key = ['DUP', 'BARE', 'PATH', `K${rnd(40)}`, `N${step}`][rnd(5)]!;
    const value = `v${step}=x`;
    indexed = envSet(indexed, [{ key, value }]);
    scanned = envSetByScan(scanned, key, value);
    assert.deepEqual(indexed, scanned, `after step ${step}`);
    const ref = envFromList(scanned);
    for (const k of ['DUP', 'BARE', 'PATH', 'K3', `N${step}`, 'MISSING']) assert.equal(envGet(indexed, k), ref.get(k), `${k} at step ${step}`);
  }
  assert.deepEqual(original, before, 'the array a written config holds is never changed');
});

test('dispatchEnv: config Env wins over a build arg of the same name, other args visible', () => {
  const args = new BuildArgs({ A: 'cli', HTTP_PROXY: 'proxy' });
  args.addArg('A', 'default');
  args.addArg('B', 'b-default');
  const env = envSet(['PATH=/bin'], [{ key: 'B', value: 'from-env' }]);
  const got = dispatchEnv(env, args);
  const ref = envFromList([...env, ...args.filterAllowed(env)]);
  for (const k of ['PATH', 'A', 'B', 'HTTP_PROXY', 'NONE']) assert.equal(got.get(k), ref.get(k), k);
  assert.equal(got.get('B'), 'from-env');
  assert.equal(got.get('A'), 'cli');
  assert.deepEqual(got.keys(), ref.keys());
});

test("a step's config shares its parent's history entries, and serialises as before", () => {
  let parent: ImageConfig | null = null;
  for (let i = 0; i < 50; i++) {
    const cfg: ImageConfig = normalizeImageConfig(
      childConfig(
        {
          parent: null,
          parentConfig: parent,
          config: normalizeContainerConfig({ Env: [`V${i}=${i}`] }),
          stepCmd: ['/bin/sh', '-c', '#(nop) ', `ENV V${i}=${i}`],
          layer: null,
        },
        `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`,
      ),
    );
    if (parent) parent.history!.forEach((h, k) => assert.equal(cfg.history![k], h, `entry ${k} shared, not copied`));
    // What the store writes (it normalises again) is the same text.
    assert.equal(JSON.stringify(normalizeImageConfig(cfg)), JSON.stringify(cfg));
    parent = cfg;
  }
  assert.equal(parent!.history!.length, 50);
  assert.ok(parent!.history!.every((h) => h.empty_layer === true && h.created_by!.startsWith('/bin/sh -c #(nop)')));
});

test('the cache key of a large config is the digest of its whole canonical JSON', () => {
  const env = Array.from({ length: 5000 }, (_, i) => `V${i}=${'é'.repeat(i % 5)}${i}`);
  const step = { config: { Env: env, Labels: { b: '1', a: 'q"uote' }, Gone: undefined }, cmd: ['/bin/sh', '-c', '#(nop) ', 'ENV V=1'] };
  const doc = { v: 'berth-build-cache-v1', parent: 'sha256:p', config: step.config, cmd: step.cmd, extra: {}, sources: null };
  const whole = 'sha256:' + createHash('sha256').update(canonicalJSON(doc)).digest('hex');
  assert.ok(canonicalJSON(doc).length > 4 * 16384, 'spans several chunks');
  assert.equal(cacheKey('sha256:p', step), whole);
});
