import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContentError, FsContentStore } from '../src/content/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

async function tmpRoot(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await fsp.mkdtemp(path.join('/var/tmp', 'berth-content-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

const sha = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

test('ingest, has, info, read, list, delete, putJson', async (t) => {
  const root = await tmpRoot(t);
  const s = await FsContentStore.open(root);
  const data = Buffer.from('hello berth\n');
  const info = await s.ingest('r1', (async function* () {
    yield data.subarray(0, 5);
    yield data.subarray(5);
  })());
  assert.deepEqual(info, { digest: sha(data), size: data.length });
  assert.equal(await s.has(info.digest), true);
  assert.equal((await s.info(info.digest)).size, data.length);
  assert.deepEqual(await s.readBuffer(info.digest), data);
  const chunks: Buffer[] = [];
  for await (const c of await s.readStream(info.digest)) chunks.push(c as Buffer);
  assert.deepEqual(Buffer.concat(chunks), data);
  assert.equal(s.path(info.digest), path.join(root, 'blobs/sha256', info.digest.slice(7)));
  const desc = await s.putJson({ b: 1, a: [2] }, 'application/json');
  assert.equal(desc.digest, sha('{"b":1,"a":[2]}'));
  assert.equal((await s.list()).length, 2);
  assert.equal(await s.delete(info.digest), true);
  assert.equal(await s.has(info.digest), false);
  await assert.rejects(s.info(info.digest), (e: unknown) => e instanceof ContentError && e.code === 'NOT_FOUND');
  assert.deepEqual(await fsp.readdir(path.join(root, 'ingest')), []);
});

test('digest or size mismatch is refused and nothing is stored', async (t) => {
  const root = await tmpRoot(t);
  const s = await FsContentStore.open(root);
  const data = Buffer.from('payload');
  await assert.rejects(
    s.ingest('bad', data, { digest: sha('other') }),
    (e: unknown) => e instanceof ContentError && e.code === 'DIGEST_MISMATCH',
  );
  await assert.rejects(s.ingest('bad', data, { size: 3 }), (e: unknown) => e instanceof ContentError && e.code === 'SIZE_MISMATCH');
  await assert.rejects(s.ingest('bad', data, { size: 99 }), (e: unknown) => e instanceof ContentError && e.code === 'SIZE_MISMATCH');
  assert.deepEqual(await s.list(), []);
  assert.deepEqual(await fsp.readdir(path.join(root, 'ingest')), []);
  assert.equal(await s.has(sha(data)), false);
  // and the right expectation works
  assert.equal((await s.ingest('good', data, { digest: sha(data), size: data.length })).digest, sha(data));
});

test('a process killed mid-ingest leaves no blob; cleanIngest removes the leftover; the ingest then succeeds', async (t) => {
  const root = await tmpRoot(t);
  const script = path.join(root, 'child.mts');
  const storeModule = path.join(repoRoot, 'native-runtime/src/content/index.ts');
  await fsp.writeFile(
    script,
    `import { FsContentStore } from ${JSON.stringify(storeModule)};
const s = await FsContentStore.open(${JSON.stringify(path.join(root, 'c'))});
const chunk = Buffer.alloc(64 * 1024, 7);
await s.ingest('layer-x', (async function* () {
  for (let i = 0; ; i++) {
    yield chunk;
    if (i === 4) process.stdout.write('writing\\n');
    await new Promise((r) => setTimeout(r, 5));
  }
})());
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('writing')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  const s = await FsContentStore.open(path.join(root, 'c'));
  const leftovers = await fsp.readdir(path.join(root, 'c/ingest'));
  assert.deepEqual(leftovers, ['layer-x']);
  assert.ok((await fsp.stat(path.join(root, 'c/ingest/layer-x'))).size > 0);
  assert.deepEqual(await s.list(), [], 'no blob is visible');
  assert.equal(await s.cleanIngest(), 1);
  assert.deepEqual(await fsp.readdir(path.join(root, 'c/ingest')), []);
  const data = Buffer.alloc(5 * 64 * 1024, 7);
  const info = await s.ingest('layer-x', data, { digest: sha(data) });
  assert.equal(info.size, data.length);
  assert.deepEqual((await s.list()).map((b) => b.digest), [sha(data)]);
});

test('ENOSPC gives a ContentError with code ENOSPC and removes the partial file', { skip: process.getuid?.() !== 0 }, async (t) => {
  const root = await tmpRoot(t);
  const mnt = path.join(root, 'small');
  await fsp.mkdir(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
  try {
    await enospc(mnt);
  } finally {
    execFileSync('umount', [mnt]);
  }
});

async function enospc(mnt: string): Promise<void> {
  const s = await FsContentStore.open(mnt);
  const big = Buffer.alloc(1024 * 1024, 1);
  await assert.rejects(s.ingest('big', big), (e: unknown) => e instanceof ContentError && e.code === 'ENOSPC' && /no space left/.test(e.message));
  assert.deepEqual(await fsp.readdir(path.join(mnt, 'ingest')), []);
  assert.deepEqual(await s.list(), []);
}

void os;
