import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BacklogMerger, MergedLogStore } from './merged-log-store.ts';

const ts = (s: number) => `2026-12-07T03:00:${String(s).padStart(2, '0')}.000000000Z`;

test('each line keeps its service, also once the ring wraps', () => {
  const s = new MergedLogStore(4);
  s.appendFor('web', 'w1\nw2', '11');
  s.appendFor('db', 'd1\nd2\nd3', '121');
  assert.equal(s.length, 4);
  assert.deepEqual([0, 1, 2, 3].map((i) => [s.line(i), s.services[s.service(i)]]), [['w2', 'web'], ['d1', 'db'], ['d2', 'db'], ['d3', 'db']]);
  s.appendFor('web', 'w3', '2');
  assert.deepEqual([0, 1, 2, 3].map((i) => `${s.line(i)}:${s.services[s.service(i)]}:${s.stream(i)}`), ['d1:db:1', 'd2:db:2', 'd3:db:1', 'w3:web:2']);
});

test('backlogs are held until every container sent its own, then merged by time; later lines go straight in', () => {
  const s = new MergedLogStore(100);
  const m = new BacklogMerger(s, ['a-1', 'b-1']);
  m.add({ service: 'a', container: 'a-1', text: `${ts(1)} a1\n${ts(4)} a4`, streams: '11' });
  m.add({ service: 'a', container: 'a-1', text: '', streams: '', caughtUp: true });
  m.add({ service: 'b', container: 'b-1', text: `${ts(2)} b2\n${ts(3)} b3\n${ts(5)} b5`, streams: '121' });
  assert.equal(s.length, 0);
  m.add({ service: 'b', container: 'b-1', text: '', streams: '', caughtUp: true });
  assert.deepEqual(Array.from({ length: s.length }, (_, i) => s.line(i).split(' ')[1]), ['a1', 'b2', 'b3', 'a4', 'b5']);
  assert.deepEqual(Array.from({ length: s.length }, (_, i) => s.services[s.service(i)]), ['a', 'b', 'b', 'a', 'b']);
  assert.equal(s.stream(2), 2);
  m.add({ service: 'a', container: 'a-1', text: `${ts(6)} a6`, streams: '1' });
  assert.equal(s.line(5), `${ts(6)} a6`);
});

test('five services\' backlogs of 10,000 lines each merge in time order', () => {
  const s = new MergedLogStore(50_000);
  const names = ['a', 'b', 'c', 'd', 'e'];
  const m = new BacklogMerger(s, names);
  for (const [k, n] of names.entries()) {
    const lines = Array.from({ length: 10_000 }, (_, i) => `2026-12-07T03:${String(Math.floor(i / 6000)).padStart(2, '0')}:00.${String(i * 5 + k).padStart(9, '0')}Z ${n} line ${i}`);
    m.add({ service: n, container: n, text: lines.join('\n'), streams: '1'.repeat(lines.length), caughtUp: true });
  }
  assert.equal(s.length, 50_000);
  for (let i = 1; i < s.length; i += 997) assert.ok(s.line(i - 1) < s.line(i));
  assert.deepEqual([0, 1, 2, 5].map((i) => s.services[s.service(i)]), ['a', 'b', 'c', 'a']);
});
