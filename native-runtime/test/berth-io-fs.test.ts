// A container's filesystem from outside: docker diff against the dockerd fixture, docker cp both ways
// (running and stopped), hostile archives, and docker update of a running container's memory limit.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { after, before, describe, test } from 'node:test';
import * as tar from 'tar-stream';
import { cgroupDirOf, makeEnv, runToExit, type TestEnv } from './berth-helpers.ts';
import { DOCKER_API_FIXTURES } from './support/fixtures.ts';

interface Entry {
  name: string;
  type: string;
  mode: number;
  linkname?: string;
  body?: string;
}

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const out = pack as unknown as NodeJS.ReadableStream;
  out.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise((r) => out.on('end', r));
  for (const e of entries) {
    const h = { name: e.name, type: e.type as tar.Header['type'], mode: e.mode, ...(e.linkname ? { linkname: e.linkname } : {}) };
    if (e.type === 'file') pack.entry(h, e.body ?? '');
    else pack.entry(h);
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

async function readTar(s: NodeJS.ReadableStream): Promise<Entry[]> {
  const ex = tar.extract();
  s.pipe(ex as unknown as NodeJS.WritableStream);
  const out: Entry[] = [];
  for await (const e of ex) {
    const parts: Buffer[] = [];
    for await (const p of e) parts.push(p as Buffer);
    out.push({ name: e.header.name, type: e.header.type!, mode: e.header.mode!, ...(e.header.linkname ? { linkname: e.header.linkname } : {}), ...(e.header.type === 'file' ? { body: Buffer.concat(parts).toString() } : {}) });
  }
  return out;
}

describe('container filesystem', () => {
  let env: TestEnv;
  before(() => {
    env = makeEnv('fs');
  });
  after(async () => {
    await env.cleanup();
  });

  test('changes: the fixture command gives the same set of (Kind, Path) as docker diff', async () => {
    const cmdText = fs.readFileSync(path.join(DOCKER_API_FIXTURES, 'docker_diff_command.txt'), 'utf8');
    const script = /sh -c '(.*)'\s*$/m.exec(cmdText)![1]!;
    const r = await runToExit(env.berth, { Cmd: ['sh', '-c', script], HostConfig: { NetworkMode: 'none' } } as never, { keep: true });
    assert.equal(r.code, 0, r.stderr);
    const kinds: Record<string, number> = { C: 0, A: 1, D: 2 };
    const want = fs
      .readFileSync(path.join(DOCKER_API_FIXTURES, 'docker_diff.txt'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => `${kinds[l[0]!]} ${l.slice(2)}`)
      .sort();
    const got = ((await env.berth.getContainer(r.id).changes()) ?? []).map((c) => `${c.Kind} ${c.Path}`).sort();
    assert.deepEqual(got, want);
    await env.berth.getContainer(r.id).remove();
  });

  test('archive round trip of a directory with a symlink and modes, on a running and a stopped container', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } } as never);
    await c.start();
    const entries: Entry[] = [
      { name: 'd/', type: 'directory', mode: 0o750 },
      { name: 'd/f', type: 'file', mode: 0o640, body: 'hello file\n' },
      { name: 'd/x', type: 'file', mode: 0o4755, body: '#!/bin/sh\n' },
      { name: 'd/l', type: 'symlink', mode: 0o777, linkname: 'f' },
      { name: 'd/sub/', type: 'directory', mode: 0o700 },
    ];
    await c.putArchive(await makeTar(entries), { path: '/tmp' });
    const got = await readTar(await c.getArchive({ path: '/tmp/d' }));
    const byName = new Map(got.map((e) => [e.name, e]));
    assert.equal(byName.get('d/')!.mode & 0o7777, 0o750);
    assert.equal(byName.get('d/f')!.body, 'hello file\n');
    assert.equal(byName.get('d/f')!.mode & 0o7777, 0o640);
    assert.equal(byName.get('d/x')!.mode & 0o7777, 0o4755);
    assert.equal(byName.get('d/l')!.type, 'symlink');
    assert.equal(byName.get('d/l')!.linkname, 'f');
    assert.equal(byName.get('d/sub/')!.mode & 0o7777, 0o700);
    const stat = await c.infoArchive({ path: '/tmp/d/l' });
    assert.equal(stat.name, 'l');
    assert.equal(stat.linkTarget, '/tmp/d/f');
    assert.equal(stat.mode, 2 ** 27 + 0o777);
    const dstat = await c.infoArchive({ path: '/tmp/d' });
    assert.equal(dstat.mode, 2 ** 31 + 0o750);
    // The container sees the files.
    const x = await c.exec({ Cmd: ['cat', '/tmp/d/l'], AttachStdout: true });
    let out = '';
    for await (const ch of await x.start({})) out += (ch as Buffer).subarray(8).toString();
    assert.equal(out, 'hello file\n');
    // Stopped: the same through a temporary mount of the rootfs.
    await c.kill();
    await c.putArchive(await makeTar([{ name: 'later', type: 'file', mode: 0o600, body: 'while stopped' }]), { path: '/tmp/d' });
    const again = await readTar(await c.getArchive({ path: '/tmp/d/later' }));
    assert.deepEqual(again.map((e) => [e.name, e.body]), [['later', 'while stopped']]);
    await assert.rejects(c.infoArchive({ path: '/nope' }), (e: { statusCode?: number }) => e.statusCode === 404);
    await assert.rejects(c.putArchive(await makeTar(entries), { path: '/tmp/d/f' }), (e: { statusCode?: number }) => e.statusCode === 400);
    await c.remove();
  });

  test('hostile archives are refused with nothing written, outside or inside', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } } as never);
    await c.start();
    const marker = `berth-pwned-${process.pid}`;
    const bad: Entry[][] = [
      [{ name: 'ok-first', type: 'file', mode: 0o644, body: 'x' }, { name: `../../../../../../../../tmp/${marker}`, type: 'file', mode: 0o644, body: 'x' }],
      [{ name: 'ok-first', type: 'file', mode: 0o644, body: 'x' }, { name: 'evil', type: 'symlink', mode: 0o777, linkname: '../../../../../../../../tmp' }],
      [{ name: 'ok-first', type: 'file', mode: 0o644, body: 'x' }, { name: 'evil', type: 'symlink', mode: 0o777, linkname: '/tmp' }, { name: `evil/${marker}`, type: 'file', mode: 0o644, body: 'x' }],
    ];
    for (const entries of bad) {
      await assert.rejects(c.putArchive(await makeTar(entries), { path: '/' }), (e: { statusCode?: number; message: string }) => e.statusCode === 400 && /nothing was written/.test(e.message));
    }
    assert.equal(fs.existsSync(`/tmp/${marker}`), false);
    await assert.rejects(c.infoArchive({ path: '/ok-first' }), (e: { statusCode?: number }) => e.statusCode === 404);
    // A symlink of the container that points outside is resolved inside its root.
    await c.putArchive(await makeTar([{ name: 'out', type: 'symlink', mode: 0o777, linkname: '/tmp' }]), { path: '/' });
    await c.putArchive(await makeTar([{ name: marker, type: 'file', mode: 0o644, body: 'inside' }]), { path: '/out' });
    assert.equal(fs.existsSync(`/tmp/${marker}`), false);
    assert.equal((await c.infoArchive({ path: `/tmp/${marker}` })).size, 6);
    await c.remove({ force: true });
  });

  test('cp follows the container\'s own symlinks inside its root, keeps device nodes and fifos, honours noOverwriteDirNonDir', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } } as never);
    await c.start();
    const x = await c.exec({ Cmd: ['sh', '-c', 'mkdir -p /tmp/real /tmp/adir && ln -s /tmp/real /tmp/link'], AttachStdout: true });
    for await (const _ of await x.start({})) {
      /* drain */
    }
    // dockerd extracts in a chroot of the container: link/f lands in /tmp/real.
    await c.putArchive(await makeTar([{ name: 'link/f', type: 'file', mode: 0o644, body: 'via link' }]), { path: '/tmp' });
    assert.equal((await c.infoArchive({ path: '/tmp/real/f' })).size, 'via link'.length);
    // Device nodes and fifos are kept, as dockerd as root keeps them; reading them back never blocks on the fifo.
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    (pack as unknown as NodeJS.ReadableStream).on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise((r) => (pack as unknown as NodeJS.ReadableStream).on('end', r));
    pack.entry({ name: 'nodes/', type: 'directory', mode: 0o755 });
    pack.entry({ name: 'nodes/blk', type: 'block-device', mode: 0o600, devmajor: 7, devminor: 0 });
    pack.entry({ name: 'nodes/pipe', type: 'fifo', mode: 0o644 });
    pack.finalize();
    await ended;
    await c.putArchive(Buffer.concat(chunks), { path: '/tmp' });
    assert.equal((await c.infoArchive({ path: '/tmp/nodes/blk' })).mode, 2 ** 26 + 0o600);
    assert.equal((await c.infoArchive({ path: '/tmp/nodes/pipe' })).mode, 2 ** 25 + 0o644);
    const ex = tar.extract();
    (await c.getArchive({ path: '/tmp/nodes' })).pipe(ex as unknown as NodeJS.WritableStream);
    const got: string[] = [];
    for await (const e of ex) {
      got.push(`${e.header.type} ${e.header.name} ${e.header.devmajor ?? ''}:${e.header.devminor ?? ''}`);
      e.resume();
    }
    assert.deepEqual(got.sort(), ['block-device nodes/blk 7:0', 'directory nodes/ 0:0', 'fifo nodes/pipe 0:0']);
    // dockerd's NoOverwriteDirNonDir: a directory is not replaced by a file, nor a file by a directory.
    await assert.rejects(
      c.putArchive(await makeTar([{ name: 'adir', type: 'file', mode: 0o644, body: 'x' }]), { path: '/tmp', noOverwriteDirNonDir: true }),
      (e: { statusCode?: number; message: string }) => e.statusCode === 400 && /cannot overwrite directory "\/tmp\/adir" with non-directory "adir"/.test(e.message),
    );
    await assert.rejects(
      c.putArchive(await makeTar([{ name: 'real/f/', type: 'directory', mode: 0o755 }]), { path: '/tmp', noOverwriteDirNonDir: true }),
      (e: { statusCode?: number; message: string }) => e.statusCode === 400 && /cannot overwrite non-directory/.test(e.message),
    );
    await c.remove({ force: true });
  });

  test('update raises and lowers the memory limit of a running container', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { Memory: 64 * 1024 * 1024, NetworkMode: 'none' } } as never);
    await c.start();
    const pid = (await c.inspect()).State.Pid;
    const limitFile = path.join(cgroupDirOf(pid, 'memory'), 'memory.limit_in_bytes');
    assert.equal(Number(fs.readFileSync(limitFile, 'utf8')), 64 * 1024 * 1024);
    assert.deepEqual(await c.update({ Memory: 100 * 1024 * 1024 }), { Warnings: [] });
    assert.equal(Number(fs.readFileSync(limitFile, 'utf8')), 100 * 1024 * 1024);
    await c.update({ Memory: 32 * 1024 * 1024, PidsLimit: 50, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } });
    assert.equal(Number(fs.readFileSync(limitFile, 'utf8')), 32 * 1024 * 1024);
    assert.equal(fs.readFileSync(path.join(cgroupDirOf(pid, 'pids'), 'pids.max'), 'utf8').trim(), '50');
    const h = (await c.inspect()).HostConfig;
    assert.equal(h.Memory, 32 * 1024 * 1024);
    assert.equal(h.PidsLimit, 50);
    assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 1 });
    await assert.rejects(c.update({ Memory: 1024 }), (e: { statusCode?: number }) => e.statusCode === 400);
    await assert.rejects(c.update({ Memory: 1024 * 1024 * 1024 }), (e: { statusCode?: number }) => e.statusCode === 409);
    // Persisted: a restart keeps the new limit.
    await c.restart({ t: 0 });
    const pid2 = (await c.inspect()).State.Pid;
    assert.equal(Number(fs.readFileSync(path.join(cgroupDirOf(pid2, 'memory'), 'memory.limit_in_bytes'), 'utf8')), 32 * 1024 * 1024);
    await c.remove({ force: true });
  });
});


