// util/node-streams.ts: tar-stream's streamx objects handed to Node's pipe with the Node stream types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { asNodeReadable, asNodeWritable } from '../src/util/node-streams.js';

test('a pack read as a Node Readable and an extractor fed by Node pipe carry the same entries', async () => {
  const pack = tar.pack();
  pack.entry({ name: 'a.txt' }, 'hello');
  pack.entry({ name: 'dir/', type: 'directory' });
  pack.entry({ name: 'dir/b.txt' }, 'world!');
  pack.finalize();

  const extract = tar.extract();
  const seen: string[] = [];
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    const entry = asNodeReadable(body);
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () => {
      seen.push(`${header.name}=${Buffer.concat(chunks).toString()}`);
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  // Through a real Node stream in between, as the engine's callers pipe files and sockets.
  const mid = new PassThrough();
  asNodeReadable(pack).pipe(mid);
  mid.pipe(asNodeWritable(extract));
  await done;
  assert.deepEqual(seen, ['a.txt=hello', 'dir/=', 'dir/b.txt=world!']);
});

test('an entry sink takes a Node pipe and the pack ends in a Node pipeline', async () => {
  const pack = tar.pack();
  const src = new PassThrough();
  const written = new Promise<void>((resolve, reject) => {
    const sink = pack.entry({ name: 'f', size: 3 }, (e) => (e ? reject(e) : resolve()));
    src.pipe(asNodeWritable(sink));
  });
  src.end('abc');
  await written;
  pack.finalize();
  const out: Buffer[] = [];
  await pipeline(asNodeReadable(pack), new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  const tarBytes = Buffer.concat(out);
  assert.equal(tarBytes.length % 512, 0);
  assert.equal(tarBytes.subarray(0, 1).toString(), 'f');
  assert.equal(tarBytes.subarray(512, 515).toString(), 'abc');
});

test('anything that is not a stream is refused with a clear error', () => {
  assert.throws(() => asNodeWritable({}), /not a writable stream/);
  assert.throws(() => asNodeReadable({ pipe() {} }), /not a readable stream/);
});
