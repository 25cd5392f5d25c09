import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogStore, searchLines, searchRegex, stripAnsi } from '../../../components/logs/log-store.ts';

test('the ring keeps the newest lines, oldest first, with their streams', () => {
  const s = new LogStore(5);
  s.append('a\nb\nc', '112');
  s.append('d\ne\nf\ng', '1211');
  assert.equal(s.length, 5);
  assert.equal(s.dropped, 2);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => s.line(i)), ['c', 'd', 'e', 'f', 'g']);
  assert.deepEqual([0, 1, 2].map((i) => s.stream(i)), [2, 1, 2]);
});

test('search ignores ANSI colours and case, in slices', async () => {
  const s = new LogStore(100_000);
  for (let i = 0; i < 50_000; i++) s.push(i === 42_000 ? '\x1b[31mERROR\x1b[0m disk full' : `line ${i}`, 1);
  assert.equal(stripAnsi('\x1b[1;32mok\x1b[0m'), 'ok');
  assert.deepEqual(await searchLines(s, searchRegex('error DISK')!, { sliceMs: 2 }), [42_000]);
  assert.equal(searchRegex('a.b')!.test('axb'), false);
});
