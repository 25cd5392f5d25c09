// The inspector against a real engine: compare two builds that differ by one file, and the live diff
// of a running container's writable layer (entries appear, change and vanish; unsubscribing stops the
// watcher and frees its inotify watches).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Analyzer } from '../src/analysis/analyzer.ts';
import type { LiveChange, LiveDiffEvent } from '../src/analysis/types.ts';
import { makeEnv, type TestEnv } from './berth-helpers.ts';
import { build, ok } from './build-exec-helpers.ts';

let env: TestEnv;
let an: Analyzer;

before(async () => {
  env = makeEnv('analysis');
  an = await env.berth.analyzer();
});

after(async () => {
  await env?.cleanup();
});

/** inotify watches this process holds (all inotify fds). */
function inotifyWatches(): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fdinfo')) {
    try {
      n += fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

test('compare: two builds differing by one file', async () => {
  const df = 'FROM busybox\nCOPY a.txt /a.txt\nCOPY b.txt /b.txt\n';
  const a = ok(await build(env.berth, { Dockerfile: df, 'a.txt': 'same\n', 'b.txt': 'one\n' }, { t: 'cmp:a' }));
  const b = ok(await build(env.berth, { Dockerfile: df, 'a.txt': 'same\n', 'b.txt': 'two!!\n' }, { t: 'cmp:b' }));
  const c = await an.compareImages('cmp:a', 'cmp:b');
  assert.equal(c.a, a);
  assert.equal(c.b, b);
  const base = (await env.berth.getImage('busybox').inspect()).RootFS.Layers!.length;
  assert.equal(c.sharedLayers.length, base + 1); // busybox and the a.txt layer
  assert.equal(c.divergeIndex, base + 1);
  assert.deepEqual(c.entries, [{ path: '/b.txt', change: 'modified', type: 'file', sizeA: 4, sizeB: 6 }]);
  assert.deepEqual(c.totals, { added: 0, modified: 1, removed: 0, addedBytes: 0, removedBytes: 0, modifiedBytesDelta: 2 });
  const same = await an.compareImages('cmp:a', a);
  assert.equal(same.divergeIndex, null);
  assert.deepEqual(same.entries, []);
  const d = await an.fileDiff('cmp:b', base + 1, '/b.txt');
  assert.equal(d.change, 'added'); // the layer of cmp:b added it; there is nothing below
  const vsA = await an.compareImages('busybox', 'cmp:a');
  assert.deepEqual(vsA.entries.map((e) => [e.path, e.change]), [['/a.txt', 'added'], ['/b.txt', 'added']]);
});

test('live diff: entries appear, change and vanish while the container runs; unsubscribe stops it', async () => {
  const script = [
    'for i in $(seq 100); do echo $i > /tmp/f$i; sleep 0.05; done',
    'sleep 0.5',
    'for i in $(seq 10); do echo more >> /tmp/f$i; done',
    'sleep 0.5',
    'rm /tmp/f1 /tmp/f2 /tmp/f3 /bin/true',
    'sleep 600',
  ].join('; ');
  const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', script] });
  await c.start();
  // The engine itself may watch the container (its exit file): count only what the diff adds.
  const watchesBefore = inotifyWatches();
  const sub = await an.watchContainerChanges(c.id, { debounceMs: 50 });
  const state = new Map<string, LiveChange>();
  const seen: { appeared: Set<string>; changed: Set<string>; vanished: Set<string>; deltas: number; snapshotSize: number } = {
    appeared: new Set(),
    changed: new Set(),
    vanished: new Set(),
    deltas: 0,
    snapshotSize: -1,
  };
  const apply = (ev: LiveDiffEvent): void => {
    if (ev.type === 'snapshot') {
      seen.snapshotSize = ev.changes.length;
      for (const ch of ev.changes) state.set(ch.path, ch);
    } else if (ev.type === 'delta') {
      seen.deltas++;
      for (const u of ev.upserts) {
        if (state.has(u.path)) seen.changed.add(u.path);
        else seen.appeared.add(u.path);
        state.set(u.path, u);
      }
      for (const p of ev.removed) {
        seen.vanished.add(p);
        state.delete(p);
      }
    }
  };
  const deadline = Date.now() + 60_000;
  let midRun = -1;
  for await (const ev of sub) {
    apply(ev);
    if (midRun < 0 && seen.appeared.has('/tmp/f10') && !seen.appeared.has('/tmp/f100')) midRun = state.size;
    if (state.get('/bin/true')?.kind === 'D' && seen.vanished.has('/tmp/f3')) break;
    if (Date.now() > deadline) break;
  }
  // `for await` ended with break: the iterator's return() unsubscribed.
  assert.ok(seen.snapshotSize >= 0);
  assert.ok(midRun > 0, 'entries were seen while the loop was still writing');
  assert.ok(seen.deltas >= 5, `only ${seen.deltas} deltas`);
  for (let i = 4; i <= 100; i++) assert.equal(state.get(`/tmp/f${i}`)?.kind, 'A', `/tmp/f${i}`);
  assert.equal(state.get(`/tmp/f${50}`)?.size, 3); // "50\n"
  assert.equal(state.get(`/tmp/f${10}`)?.size, 3 + 5); // "10\n" then "more\n"
  assert.ok(seen.changed.has('/tmp/f10'), 'an append showed as a change');
  for (const p of ['/tmp/f1', '/tmp/f2', '/tmp/f3']) assert.ok(seen.vanished.has(p) && !state.has(p), p);
  assert.equal(state.get('/bin/true')?.kind, 'D');
  assert.equal(state.get('/bin')?.kind, 'M'); // parent of a deletion, as docker diff
  // The same classification as Container.changes() (docker diff).
  const kinds = { A: 1, M: 0, D: 2 } as const;
  const docker = ((await c.changes()) ?? []).map((x) => `${x.Kind} ${x.Path}`).sort();
  const live = [...state.values()].map((x) => `${kinds[x.kind]} ${x.path}`).sort();
  assert.deepEqual(live, docker);
  // Nobody watches: no watcher, no fs.watch handle, no inotify watch left.
  assert.equal(an.live.active, 0);
  assert.equal(an.live.watchHandles, 0);
  assert.equal(inotifyWatches(), watchesBefore);
  await c.remove({ force: true });
});

test('live diff: a removed container ends the stream', async () => {
  const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 600'] });
  await c.start();
  const sub = await an.watchContainerChanges(c.id);
  const first = await sub.next();
  assert.equal(first.value?.type, 'snapshot');
  await c.remove({ force: true });
  const ev = await Promise.race([sub.next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
  assert.notEqual(ev, 'timeout');
  assert.equal((ev as IteratorResult<LiveDiffEvent>).value?.type, 'end');
  assert.equal(an.live.active, 0);
});
