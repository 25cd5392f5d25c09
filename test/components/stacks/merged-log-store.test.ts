import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MergedLogStore } from '../../../components/stacks/merged-log-store.ts';

const all = (s: MergedLogStore) => Array.from({ length: s.length }, (_, i) => `${s.line(i)}:${s.services[s.service(i)]}:${s.stream(i)}`);

test('live lines keep their service and stream; the oldest drop off at the capacity', () => {
  const s = new MergedLogStore(4);
  s.append('web', 'w1\nw2', '11');
  s.append('db', 'd1\nd2\nd3', '121');
  assert.deepEqual(all(s), ['w2:web:1', 'd1:db:1', 'd2:db:2', 'd3:db:1']);
  assert.equal(s.dropped, 1);
  s.append('web', 'w3', '2');
  assert.deepEqual(all(s), ['d1:db:1', 'd2:db:2', 'd3:db:1', 'w3:web:2']);
});

test('older pages go in front with their own service list; reads in any order find the right line', () => {
  const s = new MergedLogStore(10);
  s.append('api', 'live1', '1');
  assert.equal(s.prepend({ text: 'p3\np4', streams: '12', service: [0, 1], services: ['db', 'api'] }), 2);
  assert.equal(s.prepend({ text: 'p1\np2', streams: '11', service: [0, 0], services: ['web'] }), 2);
  assert.equal(s.prepended, 4);
  assert.deepEqual(all(s), ['p1:web:1', 'p2:web:1', 'p3:db:1', 'p4:api:2', 'live1:api:1']);
  assert.equal(s.line(4), 'live1');
  assert.equal(s.line(0), 'p1');
  assert.equal(s.line(5), '');
});

test('a page takes only the room left (its newest lines), then the store is full', () => {
  const s = new MergedLogStore(3);
  s.append('a', 'x', '1');
  assert.equal(s.prepend({ text: 'o1\no2\no3', streams: '111', service: [0, 0, 0], services: ['a'] }), 2);
  assert.deepEqual(all(s).map((l) => l.split(':')[0]), ['o2', 'o3', 'x']);
  assert.equal(s.full, true);
  assert.equal(s.prepend({ text: 'o0', streams: '1', service: [0], services: ['a'] }), 0);
});
