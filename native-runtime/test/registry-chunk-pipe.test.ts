// ChunkPipe, the hand-over from a layer download to its extraction: order, bounded buffering, failure
// after the queued bytes, and cancel() releasing a waiting producer (else a pull would hang).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkPipe } from '../src/registry/chunk-pipe.js';

const settled = async (p: Promise<void> | undefined): Promise<boolean> => {
  if (!p) return true;
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

test('bytes arrive in order; the producer waits above the high-water mark until the consumer reads', async () => {
  const pipe = new ChunkPipe(10);
  assert.equal(pipe.push(Buffer.from('abcdef')), undefined);
  const wait = pipe.push(Buffer.from('ghijkl'));
  assert.ok(wait, 'over 10 bytes queued: the producer is told to wait');
  assert.equal(await settled(wait), false);
  const it = pipe[Symbol.asyncIterator]();
  assert.equal(String((await it.next()).value), 'abcdef');
  assert.equal(await settled(wait), true, 'reading made room');
  pipe.push(Buffer.from('mn'));
  pipe.end();
  const rest: string[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(String(r.value));
  assert.deepEqual(rest, ['ghijkl', 'mn']);
});

test('a failure reaches the consumer after the bytes queued before it', async () => {
  const pipe = new ChunkPipe();
  pipe.push(Buffer.from('x'));
  pipe.fail(new Error('digest mismatch'));
  const got: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of pipe) got.push(String(c));
    })(),
    /digest mismatch/,
  );
  assert.deepEqual(got, ['x']);
});

test('cancel() releases a waiting producer, and later pushes neither queue nor wait', async () => {
  const pipe = new ChunkPipe(4);
  const wait = pipe.push(Buffer.alloc(8));
  assert.equal(await settled(wait), false);
  pipe.cancel();
  assert.equal(await settled(wait), true);
  assert.equal(pipe.push(Buffer.alloc(100)), undefined);
  const got: Buffer[] = [];
  for await (const c of pipe) got.push(c);
  assert.deepEqual(got, []);
});

test('a consumer that leaves its loop early cancels too', async () => {
  const pipe = new ChunkPipe(4);
  pipe.push(Buffer.from('ab'));
  const wait = pipe.push(Buffer.from('cdef'));
  for await (const c of pipe) {
    assert.equal(String(c), 'ab');
    break;
  }
  assert.equal(await settled(wait), true);
  assert.equal(pipe.push(Buffer.alloc(100)), undefined);
});
