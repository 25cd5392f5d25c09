import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { BuildRecord } from '@berth/runtime/engine';
import { addRecord, emptyBuild, finish } from '../../../../../components/builds/build-steps.ts';
import { contextTar } from '../../../../../components/builds/context-upload.ts';
import { foldProgress } from '../../../../../components/images/layer-progress.ts';
import { checkTar, composeContext, saveContext } from '../../../../../server/builds/context-store.ts';
import { registryHostOf, normalizeRegistryUrl } from '../../../../../server/registries/credentials.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'berth-build-units-'));
const bytes = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

test("the browser's context tar (tar-stream) is read back by GNU tar, long paths (PAX) and nested folders included", async () => {
  const dir = tmp();
  try {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}.txt`;
    const mtime = new Date(1_700_000_000_000);
    const tar = bytes(await contextTar([{ path: 'a/b/c.txt', data: Buffer.from('nested\n'), mtime }, { path: long, data: Buffer.from('long\n'), mtime }, { path: 'top', data: new Uint8Array(0), mtime }]));
    fs.writeFileSync(path.join(dir, 'x.tar'), tar);
    const listing = execFileSync('tar', ['-tf', path.join(dir, 'x.tar')], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.deepEqual(listing, ['a/', 'a/b/', 'a/b/c.txt', `${'d'.repeat(120)}/`, long, 'top']);
    execFileSync('tar', ['-xf', path.join(dir, 'x.tar'), '-C', dir]);
    assert.equal(fs.readFileSync(path.join(dir, 'a/b/c.txt'), 'utf8'), 'nested\n');
    assert.equal(fs.readFileSync(path.join(dir, long), 'utf8'), 'long\n');
    assert.equal(fs.statSync(path.join(dir, 'a/b/c.txt')).mtimeMs, mtime.getTime());
    await assert.rejects(contextTar([{ path: '../escape', data: new Uint8Array(1), mtime }]), /Unsafe path/);
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
    // An uploaded file of the editor's name is replaced by the editor's Dockerfile, not kept twice.
    fs.writeFileSync(path.join(src, '.berth.Dockerfile'), 'FROM old\n');
    for (const gz of [false, true]) {
      const archive = path.join(root, gz ? 'c.tar.gz' : 'c.tar');
      execFileSync('tar', [gz ? '-czf' : '-cf', archive, '-C', src, 'conf', '.berth.Dockerfile']);
      const saved = await saveContext(root, 'user1', fs.createReadStream(archive), 1 << 20);
      const { stream, cleanup } = composeContext(root, 'user1', saved.id, '.berth.Dockerfile', 'FROM scratch\n');
      const out = path.join(root, 'out.tar');
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      fs.writeFileSync(out, Buffer.concat(chunks));
      const listing = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).split('\n').filter(Boolean);
      assert.deepEqual(listing.sort(), ['.berth.Dockerfile', 'conf/', 'conf/v.txt']);
      assert.equal(execFileSync('tar', ['-xOf', out, '.berth.Dockerfile'], { encoding: 'utf8' }), 'FROM scratch\n');
      assert.equal(execFileSync('tar', ['-xOf', out, 'conf/v.txt'], { encoding: 'utf8' }), 'value\n');
      await checkTar(out);
      cleanup();
      assert.equal(fs.readdirSync(path.join(root, 'build-contexts')).length, 0);
    }
    // No upload: the Dockerfile alone.
    const only: Buffer[] = [];
    for await (const c of composeContext(root, 'user1', undefined, 'Dockerfile', 'FROM x\n').stream) only.push(c as Buffer);
    fs.writeFileSync(path.join(root, 'only.tar'), Buffer.concat(only));
    assert.deepEqual(execFileSync('tar', ['-tf', path.join(root, 'only.tar')], { encoding: 'utf8' }).split('\n').filter(Boolean), ['Dockerfile']);
    await assert.rejects(saveContext(root, 'user1', Readable.from([Buffer.alloc(2048, 1)]), 1 << 20), /not a tar/);
    // A truncated tar is not a context either (the hand-written scanner let it through).
    const whole = fs.readFileSync(path.join(root, 'only.tar'));
    await assert.rejects(saveContext(root, 'user1', Readable.from([whole.subarray(0, 700)]), 1 << 20), /not a tar/);
    await assert.rejects(saveContext(root, 'user1', Readable.from([Buffer.alloc(4096)]), 1000), /larger than/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("build steps fold the engine's records: cache hits, output, durations, the failed step and its line", () => {
  const loc = (line: number) => ({ line, column: 1, endLine: line });
  const records: Array<[BuildRecord, number]> = [
    [{ type: 'warning', text: '[WARNING]: Empty continuation line found in: RUN a' }, 1],
    [{ type: 'step', index: 1, total: 3, instruction: 'FROM busybox', location: loc(2) }, 10],
    [{ type: 'step-done', index: 1, imageId: 'sha256:0123456789ab' }, 10],
    [{ type: 'step', index: 2, total: 3, instruction: 'RUN x', location: loc(4) }, 12],
    [{ type: 'cache-hit', index: 2 }, 14],
    [{ type: 'step-done', index: 2, imageId: 'sha256:ba9876543210' }, 15],
    [{ type: 'step', index: 3, total: 3, instruction: 'RUN exit 3', location: loc(7) }, 16],
    [{ type: 'container', index: 3, id: 'c'.repeat(64) }, 16],
    [{ type: 'output', index: 3, text: 'partial ' }, 17],
    [{ type: 'output', index: 3, text: 'line\n' }, 17],
    [{ type: 'error', message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3", code: 3, step: 3, file: 'Dockerfile', location: loc(7), lastOutput: ['partial line'] }, 18],
  ];
  let v = emptyBuild();
  for (const [r, at] of records) v = addRecord(v, r, at);
  v = finish(v, 20);
  assert.deepEqual(v.preamble, ['[WARNING]: Empty continuation line found in: RUN a']);
  assert.deepEqual(
    v.steps.map((s) => [s.n, s.line, s.cached, s.failed, s.startAt, s.endAt]),
    [
      [1, 2, false, false, 10, 10],
      [2, 4, true, false, 12, 15],
      [3, 7, false, true, 16, 18],
    ],
  );
  assert.equal(v.steps[2]!.output, 'partial line\n', 'output chunks join as they came, not split per chunk');
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

test('build messages name the Dockerfile, not the editor copy\'s internal file name', async () => {
  const { userFacing, EDITOR_DOCKERFILE } = await import('../../../../../server/api/routers/builds/router.ts');
  assert.equal(userFacing(`failed to parse ${EDITOR_DOCKERFILE} line 2: unknown instruction FROMM`), 'failed to parse Dockerfile line 2: unknown instruction FROMM');
});
