// Issue 16 (3, 4): `docker load` of things that are not image archives answers with the error in the
// JSON stream (as dockerd 20.10 does) instead of dropping the connection, and the pre-1.10 `docker save`
// layout (<id>/json, <id>/layer.tar, repositories) loads, with the image IDs dockerd 20.10 gives it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTar, readTar } from '../../../native-runtime/test/layers-helpers.ts';
import { startApiEnv, type ApiEnv } from './test-env.ts';

function post(socketPath: string, p: string, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'POST', path: p, headers: { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject); // a dropped connection ("socket hang up") fails the test here
    req.end(body);
  });
}

const ID1 = 'a'.repeat(64);
const ID2 = 'b'.repeat(64);

/** A pre-1.10 archive: base (`baseLayer`) and a child adding /hello, tagged legacy:v1 and legacybase:latest. */
async function legacyArchive(baseLayer: Buffer): Promise<Buffer> {
  const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  const j1 = { id: ID1, created: '2015-10-01T00:00:00.123456789Z', container_config: { Cmd: ['/bin/sh', '-c', '#(nop) ADD file:x in /'] }, docker_version: '1.9.1', config: { Cmd: ['sh'], Env: env }, architecture: 'amd64', os: 'linux', Size: 123 };
  const j2 = { id: ID2, parent: ID1, created: '2015-10-02T00:00:00Z', container_config: { Cmd: ['/bin/sh', '-c', 'echo legacy > /hello'] }, docker_version: '1.9.1', author: 'me <a&b>', config: { Cmd: ['cat', '/hello'], Env: env }, architecture: 'amd64', os: 'linux', Size: 7 };
  const child = await makeTar([{ name: 'hello', body: 'legacy\n', mode: 0o644 }]);
  return makeTar([
    { name: `${ID1}/VERSION`, body: '1.0' },
    { name: `${ID1}/json`, body: JSON.stringify(j1) },
    { name: `${ID1}/layer.tar`, body: baseLayer },
    { name: `${ID2}/VERSION`, body: '1.0' },
    { name: `${ID2}/json`, body: JSON.stringify(j2) },
    { name: `${ID2}/layer.tar`, body: child },
    { name: 'repositories', body: JSON.stringify({ legacy: { v1: ID2 }, legacybase: { latest: ID1 } }) },
  ]);
}

describe('docker load: bad archives and the pre-1.10 format (issue 16)', () => {
  let e: ApiEnv;
  before(async () => {
    e = await startApiEnv('load');
  });
  after(async () => {
    await e?.cleanup();
  });

  it('answers every bad archive with an error line, never a dropped connection', async () => {
    const cfg = JSON.stringify({ rootfs: { type: 'layers', diff_ids: [] } });
    const cases: Array<[string, Buffer, RegExp]> = [
      ['random bytes', randomBytes(64 * 1024), /invalid tar header/i],
      ['an empty body', Buffer.alloc(0), /neither manifest\.json nor index\.json/],
      ['../x in the outer tar', await makeTar([{ name: '../x', body: 'hi' }]), /path escapes the archive/],
      ['an absolute path', await makeTar([{ name: '/x', body: 'hi' }]), /absolute path/],
      [
        'a symlinked config',
        await makeTar([
          { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: ['a:1'], Layers: [] }]) },
          { name: 'c.json', type: 'symlink', linkname: '/etc/passwd' },
        ]),
        /absolute target/,
      ],
      [
        'a manifest naming a missing layer',
        await makeTar([
          { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: ['a:1'], Layers: ['nope/layer.tar'] }]) },
          { name: 'c.json', body: cfg },
        ]),
        /layer nope\/layer\.tar is missing/,
      ],
      [
        'RepoTags that are not strings',
        await makeTar([
          { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: [1, 2], Layers: [] }]) },
          { name: 'c.json', body: cfg },
        ]),
        /RepoTags must be a list of strings/,
      ],
      // A refusal early in a large upload: the rest is read, the answer still arrives.
      ['../x before 8 MiB of data', await makeTar([{ name: '../x', body: 'hi' }, { name: 'big', body: Buffer.alloc(8 << 20) }]), /path escapes the archive/],
    ];
    for (const [what, body, msg] of cases) {
      for (const quiet of ['0', '1']) {
        const r = await post(e.socket, `/v1.41/images/load?quiet=${quiet}`, body);
        assert.equal(r.status, 200, what);
        const last = JSON.parse(r.body.trim().split('\n').at(-1)!) as { error?: string; errorDetail?: { message: string } };
        assert.match(last.error ?? '', msg, `${what}: ${r.body}`);
        assert.equal(last.errorDetail?.message, last.error);
      }
    }
    const cli = await e.docker(['load'], { input: randomBytes(4096) });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /invalid tar header/i);
    assert.doesNotMatch(cli.stderr, /EOF|hang up/);
    assert.deepEqual((await e.docker(['images', '-q', 'a'])).stdout, '');
  });

  it('loads the pre-1.10 format with the image IDs dockerd 20.10 gives it', async () => {
    const base = await makeTar([{ name: 'a', body: 'base\n', mode: 0o644 }]);
    const dir = fs.mkdtempSync(path.join(e.root, 'legacy-'));
    fs.writeFileSync(path.join(dir, 'synthetic.tar'), await legacyArchive(base));
    const r = await e.docker(['load', '-i', path.join(dir, 'synthetic.tar')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Loaded image: legacybase:latest\nLoaded image: legacy:v1\n');
    // `docker load` of the same bytes into dockerd 20.10.24 (Debian docker.io) gives these IDs.
    const id = (ref: string) => e.docker(['inspect', '-f', '{{.Id}} {{.Parent}}', ref]).then((x) => x.stdout.trim());
    assert.equal(await id('legacybase'), 'sha256:5c60af3a8677ac4a60bdcf452041d6784764a3161dff763790d9f726de67e7eb');
    const [childId, parent] = (await id('legacy:v1')).split(' ');
    assert.equal(parent, 'sha256:5c60af3a8677ac4a60bdcf452041d6784764a3161dff763790d9f726de67e7eb');
    assert.equal(childId, 'sha256:3b2d6c41cd4093d0c6421868d228bb241b469a284c8dfc630dd7ba072d1a329a');
    assert.equal((await e.docker(['rmi', 'legacy:v1', 'legacybase'])).code, 0);
  });

  it('runs a pre-1.10 image built on busybox, with its history', async () => {
    const saved = await readTar((await e.berth.getImage('busybox').get()) as AsyncIterable<Uint8Array>);
    const manifest = JSON.parse(saved.find((x) => x.name === 'manifest.json')!.body.toString()) as Array<{ Layers: string[] }>;
    const layer = saved.find((x) => x.name === manifest[0]!.Layers[0])!.body;
    const r = await e.docker(['load'], { input: await legacyArchive(layer) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await e.docker(['run', '--rm', 'legacy:v1'])).stdout, 'legacy\n');
    const h = await e.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'legacy:v1']);
    assert.deepEqual(h.stdout.trim().split('\n').map((l) => l.split('|')[0]), ['/bin/sh -c echo legacy > /hello', '/bin/sh -c #(nop) ADD file:x in /']);
    const inspect = JSON.parse((await e.docker(['inspect', 'legacy:v1'])).stdout) as Array<{ Author: string; Created: string; Config: { Cmd: string[] }; RootFS: { Layers: string[] } }>;
    assert.equal(inspect[0]!.Author, 'me <a&b>');
    assert.equal(inspect[0]!.Created, '2015-10-02T00:00:00Z');
    assert.deepEqual(inspect[0]!.Config.Cmd, ['cat', '/hello']);
    assert.equal(inspect[0]!.RootFS.Layers.length, 2);
    // The intermediate image is the child's parent, hidden from `docker images` (not dangling).
    assert.deepEqual((await e.docker(['images', '-q', '-f', 'dangling=true'])).stdout, '');
  });
});
