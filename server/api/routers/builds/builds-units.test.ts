import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { addStream, emptyBuild, finish } from '../../../../components/builds/build-steps.ts';
import { foldProgress } from '../../../../components/images/layer-progress.ts';
import { composeContext, saveContext, tarDataEnd } from './context-store.ts';
import { errorLine, instructionLines } from './dockerfile-lines.ts';
import { tarArchive } from './ustar.ts';
import { registryHostOf, normalizeRegistryUrl } from '../registries/credentials.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'berth-build-units-'));
const bytes = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

test('the ustar writer is read back by GNU tar, long paths (PAX) and nested folders included', () => {
  const dir = tmp();
  try {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}.txt`;
    const tar = bytes(tarArchive([{ path: 'a/b/c.txt', data: Buffer.from('nested\n') }, { path: long, data: Buffer.from('long\n') }, { path: 'top', data: new Uint8Array(0) }]));
    fs.writeFileSync(path.join(dir, 'x.tar'), tar);
    const listing = execFileSync('tar', ['-tf', path.join(dir, 'x.tar')], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.deepEqual(listing, ['a/', 'a/b/', 'a/b/c.txt', `${'d'.repeat(120)}/`, long, 'top']);
    execFileSync('tar', ['-xf', path.join(dir, 'x.tar'), '-C', dir]);
    assert.equal(fs.readFileSync(path.join(dir, 'a/b/c.txt'), 'utf8'), 'nested\n');
    assert.equal(fs.readFileSync(path.join(dir, long), 'utf8'), 'long\n');
    assert.throws(() => tarArchive([{ path: '../escape', data: new Uint8Array(1) }]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an uploaded context (plain or gzip) gets the editor Dockerfile appended; GNU tar reads both', async () => {
  const root = tmp();
  try {
    const src = path.join(root, 'src');
    fs.mkdirSync(path.join(src, 'conf'), { recursive: true });
    fs.writeFileSync(path.join(src, 'conf', 'v.txt'), 'value\n');
    for (const gz of [false, true]) {
      const archive = path.join(root, gz ? 'c.tar.gz' : 'c.tar');
      execFileSync('tar', [gz ? '-czf' : '-cf', archive, '-C', src, 'conf']);
      const saved = await saveContext(root, 'user1', fs.createReadStream(archive), 1 << 20);
      const { stream, cleanup } = composeContext(root, 'user1', saved.id, '.berth.Dockerfile', 'FROM scratch\n');
      const out = path.join(root, 'out.tar');
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      fs.writeFileSync(out, Buffer.concat(chunks));
      const listing = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).split('\n').filter(Boolean);
      assert.ok(listing.includes('conf/v.txt') && listing.includes('.berth.Dockerfile'), listing.join(','));
      assert.equal(tarDataEnd(out) % 512, 0);
      cleanup();
      assert.equal(fs.readdirSync(path.join(root, 'build-contexts')).length, 0);
    }
    await assert.rejects(saveContext(root, 'user1', Readable.from([Buffer.alloc(2048, 1)]), 1 << 20), /not a tar/);
    await assert.rejects(saveContext(root, 'user1', Readable.from([Buffer.alloc(4096)]), 1000), /larger than/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('error lines: named in the message, else the running step mapped to its instruction line', () => {
  const df = '# syntax\nFROM busybox\n\nRUN a \\\n  b\n# note\nRUN c\n';
  assert.deepEqual(instructionLines(df), [2, 4, 7]);
  assert.equal(errorLine('dockerfile parse error on line 3: unknown instruction: RUNN', df, null), 3);
  assert.equal(errorLine("The command '/bin/sh -c c' returned a non-zero code: 1", df, 3), 7);
  assert.equal(errorLine('no step', df, null), null);
});

test('build steps: cache hits, durations from the server stamps', () => {
  let v = emptyBuild();
  v = addStream(v, 'Step 1/2 : FROM busybox\n ---> 0123456789ab\n', 10);
  v = addStream(v, 'Step 2/2 : RUN x\n', 12);
  v = addStream(v, ' ---> Using cache\n ---> ba9876543210\n', 15);
  v = finish(v, 20);
  assert.equal(v.steps.length, 2);
  assert.deepEqual(v.steps.map((s) => [s.cached, s.startAt, s.endAt]), [[false, 10, 10], [true, 12, 15]]);
});

test('pull progress folds per layer and counts the distinct positions of each bar', () => {
  const seen = new Map<string, Set<number>>();
  let l = foldProgress([], { id: 'abcdef123456', status: 'Pulling fs layer', current: null, total: null, error: null }, seen);
  l = foldProgress(l, { id: 'abcdef123456', status: 'Downloading', current: 5, total: 1000, error: null }, seen);
  l = foldProgress(l, { id: '1', status: 'Pulling from x', current: null, total: null, error: null }, seen);
  l = foldProgress(l, { id: 'abcdef123456', status: 'Pull complete', current: null, total: null, error: null }, seen);
  assert.deepEqual(l, [{ id: 'abcdef123456', status: 'Pull complete', percent: 100, moves: 3 }]);
});

test('registry hosts follow Docker’s reference rules', () => {
  assert.equal(registryHostOf('busybox:latest'), 'docker.io');
  assert.equal(registryHostOf('library/busybox'), 'docker.io');
  assert.equal(registryHostOf('127.0.0.1:5000/app:1'), '127.0.0.1:5000');
  assert.equal(registryHostOf('localhost/app'), 'localhost');
  assert.equal(registryHostOf('ghcr.io/o/app'), 'ghcr.io');
  assert.equal(normalizeRegistryUrl('https://Registry.Example.com:443/v2/'), 'registry.example.com:443');
  assert.equal(normalizeRegistryUrl('index.docker.io'), 'docker.io');
});
