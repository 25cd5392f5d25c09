// Issue #16 item 9: device nodes and fifos in layers are kept, as dockerd (as root) keeps them, so a
// debootstrap tarball with ./dev/* imports. What a container may open stays the devices cgroup's
// decision: a block device node shipped in an image (the host's disk's major:minor) cannot be opened.
// Issue #20: the layer writer keeps them too, so `docker commit` and a build's RUN that make a fifo
// (mkfifo) or a node (mknod) give tar entries of type 6, 3 and 4 with major/minor, as Docker's do.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs, { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { applyLayer, diffDirectory } from '../src/layers/index.js';
import { getxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO, setxattr } from '../src/native/index.js';
import { makeEnv, runToExit, sh, type TestEnv } from './berth-helpers.ts';
import { build, ok } from './build-exec-helpers.ts';
import { makeTar, readTar, tmpRoot } from './layers-helpers.js';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** A block device of the host to ship in an image: its disk, else loop0. */
function hostBlockDevice(): { path: string; major: number; minor: number } {
  for (const p of ['/dev/vda', '/dev/sda', '/dev/nvme0n1', '/dev/loop0']) {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (st?.isBlockDevice()) return { path: p, major: Math.floor(st.rdev / 256) & 0xfff, minor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) };
  }
  throw new Error('no block device on this host');
}

test('a layer keeps character and block devices and fifos, with their numbers, modes and owners', async (t) => {
  const root = await tmpRoot(t);
  const dest = path.join(root, 'layer');
  await fsp.mkdir(dest);
  await applyLayer(
    once(
      await makeTar([
        { name: 'dev/', type: 'directory', mode: 0o755 },
        { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'dev/vda', type: 'block-device', devmajor: 254, devminor: 0, mode: 0o660, uid: 0, gid: 6 },
        { name: 'dev/big', type: 'character-device', devmajor: 4095, devminor: 1048575, mode: 0o600 },
        { name: 'run/initctl', type: 'fifo', mode: 0o600 },
      ]),
    ),
    dest,
  );
  const nul = await fsp.lstat(path.join(dest, 'dev/null'));
  assert.ok(nul.isCharacterDevice());
  assert.equal(nul.rdev, 1 * 256 + 3);
  assert.equal(nul.mode & 0o7777, 0o666, 'the mode of the tar, not cut by the umask');
  const vda = await fsp.lstat(path.join(dest, 'dev/vda'));
  assert.ok(vda.isBlockDevice());
  assert.equal(vda.rdev, 254 * 256);
  assert.equal(vda.gid, 6);
  assert.equal(vda.mode & 0o7777, 0o660);
  const big = await fsp.lstat(path.join(dest, 'dev/big'));
  assert.equal(Math.floor(big.rdev / 256) & 0xfff, 4095);
  assert.ok((await fsp.lstat(path.join(dest, 'run/initctl'))).isFIFO());
});

async function collect(dir: string, onSkip?: (rel: string, reason: string) => void): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of diffDirectory(dir, { onSkip })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** "type name major:minor mode uid:gid" of each entry (major:minor only for devices). */
function describeEntries(entries: Awaited<ReturnType<typeof readTar>>): string[] {
  return entries.map((e) => {
    const dev = e.type === 'character-device' || e.type === 'block-device' ? ` ${e.devmajor}:${e.devminor}` : '';
    const link = e.type === 'link' ? ` -> ${e.linkname}` : '';
    return `${e.type} ${e.name}${dev}${link} ${(e.mode ?? 0).toString(8)} ${e.uid}:${e.gid}`;
  });
}

test('diffDirectory writes fifos and device nodes as entries (numbers, modes, owners, xattrs, hardlinks); sockets are skipped', async (t) => {
  const root = await tmpRoot(t);
  const dir = path.join(root, 'up');
  await fsp.mkdir(path.join(dir, 'dev'), { recursive: true });
  mknod(path.join(dir, 'dev/null'), S_IFCHR | 0o666, 1, 3);
  mknod(path.join(dir, 'dev/big'), S_IFCHR | 0o600, 4095, 1048575);
  mknod(path.join(dir, 'dev/loop9'), S_IFBLK | 0o660, 7, 9);
  await fsp.chown(path.join(dir, 'dev/loop9'), 0, 6);
  // mknod's mode is cut by the umask
  await fsp.chmod(path.join(dir, 'dev/null'), 0o666);
  await fsp.chmod(path.join(dir, 'dev/loop9'), 0o660);
  mknod(path.join(dir, 'fifo'), S_IFIFO | 0o640, 0, 0);
  await fsp.chmod(path.join(dir, 'fifo'), 0o640);
  await fsp.chown(path.join(dir, 'fifo'), 1000, 1001);
  await fsp.link(path.join(dir, 'fifo'), path.join(dir, 'fifo2'));
  setxattr(path.join(dir, 'dev/null'), 'trusted.berth', Buffer.from('node'));
  setxattr(path.join(dir, 'dev'), 'user.berth', Buffer.from('dir'));
  const server = net.createServer().listen(path.join(dir, 'sock'));
  t.after(() => server.close());
  await new Promise((r) => server.once('listening', r));

  const skipped: string[] = [];
  const blob = await collect(dir, (rel, reason) => skipped.push(`${rel} ${reason}`));
  assert.deepEqual(skipped, ['sock socket']);
  const entries = await readTar(once(blob));
  assert.deepEqual(describeEntries(entries), [
    'directory dev/ 755 0:0',
    'character-device dev/big 4095:1048575 600 0:0',
    'block-device dev/loop9 7:9 660 0:6',
    'character-device dev/null 1:3 666 0:0',
    'fifo fifo 640 1000:1001',
    'link fifo2 -> fifo 640 1000:1001',
  ]);
  const pax = (name: string): Record<string, string> | undefined => entries.find((e) => e.name === name)!.pax as Record<string, string> | undefined;
  assert.equal(pax('dev/null')?.['SCHILY.xattr.trusted.berth'], 'node');
  assert.equal(pax('dev/')?.['SCHILY.xattr.user.berth'], 'dir', 'a directory keeps its xattrs');
  // GNU tar reads the same types and numbers.
  const listing = execFileSync('tar', ['-tvf', '-', '--numeric-owner'], { input: blob, encoding: 'utf8' });
  assert.match(listing, /^crw-rw-rw- 0\/0 +1,3 .* dev\/null$/m, listing);
  assert.match(listing, /^brw-rw---- 0\/6 +7,9 .* dev\/loop9$/m, listing);
  assert.match(listing, /^prw-r----- 1000\/1001 .* fifo$/m, listing);
  // Applied again, the tree is the same: the nodes, their numbers, the hardlink, the xattrs.
  const again = path.join(root, 'again');
  await fsp.mkdir(again);
  await applyLayer(once(blob), again);
  const big = await fsp.lstat(path.join(again, 'dev/big'));
  assert.ok(big.isCharacterDevice());
  assert.equal(big.rdev, (await fsp.lstat(path.join(dir, 'dev/big'))).rdev);
  assert.equal((await fsp.lstat(path.join(again, 'dev/loop9'))).rdev, (await fsp.lstat(path.join(dir, 'dev/loop9'))).rdev);
  const fifo = await fsp.lstat(path.join(again, 'fifo'));
  assert.ok(fifo.isFIFO());
  assert.equal(fifo.nlink, 2);
  assert.equal(fifo.ino, (await fsp.lstat(path.join(again, 'fifo2'))).ino);
  assert.equal(getxattr(path.join(again, 'dev/null'), 'trusted.berth')?.toString(), 'node');
  assert.equal(getxattr(path.join(again, 'dev'), 'user.berth')?.toString(), 'dir');
});

describe('fifos and device nodes made in a container', () => {
  let env: TestEnv;
  before(() => {
    env = makeEnv('devcommit');
  });
  after(async () => {
    await env.cleanup();
  });

  const script = 'mkdir /n && mkfifo -m 640 /n/fifo && mknod -m 600 /n/null c 1 3 && mknod -m 660 /n/loop9 b 7 9 && chown 5:6 /n/null';
  const expected = [
    'directory n/ 755 0:0',
    'fifo n/fifo 640 0:0',
    'block-device n/loop9 7:9 660 0:0',
    'character-device n/null 1:3 600 5:6',
  ];

  async function lastLayer(id: string): Promise<Awaited<ReturnType<typeof readTar>>> {
    const st = await env.berth.ready();
    const rec = await st.stores.images.get(id);
    return readTar((await st.stores.content.readStream(rec.layers.at(-1)!.digest)).pipe(createGunzip()));
  }

  test('docker commit: the layer has them as type 6, 4 and 3 entries with major/minor; the image runs with them', async () => {
    const r = await runToExit(env.berth, { Image: 'busybox', Cmd: ['sh', '-c', script], HostConfig: { NetworkMode: 'none' } } as never, { keep: true });
    assert.equal(r.code, 0, r.stderr);
    const { Id } = await env.berth.getContainer(r.id).commit({ repo: 'nodes', tag: 'v1' });
    assert.deepEqual(describeEntries(await lastLayer(Id)), expected);
    const run = await sh(env.berth, 'ls -ln /n', { Image: 'nodes:v1', HostConfig: { NetworkMode: 'none' } });
    assert.match(run.stdout, /^p.* fifo$/m, run.stdout);
    assert.match(run.stdout, /^b.* 7, +9 .* loop9$/m, run.stdout);
    assert.match(run.stdout, /^c.* 5 +6 +1, +3 .* null$/m, run.stdout);
  });

  test('a build RUN that makes them: the same entries in its layer', async () => {
    const id = ok(await build(env.berth, { Dockerfile: `FROM busybox\nRUN ${script}\n` }));
    assert.deepEqual(describeEntries(await lastLayer(id)), expected);
  });
});

describe('device nodes shipped in an image', () => {
  let env: TestEnv;
  before(() => {
    env = makeEnv('devs');
  });
  after(async () => {
    await env.cleanup();
  });

  test('import keeps them; the container sees them but cannot open a block device (devices cgroup)', async () => {
    const dev = hostBlockDevice();
    const tarBuf = await makeTar([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/busybox', mode: 0o755, body: await fsp.readFile('/bin/busybox') },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'disk', type: 'block-device', devmajor: dev.major, devminor: dev.minor, mode: 0o666 },
      { name: 'pipe', type: 'fifo', mode: 0o644 },
    ]);
    const progress = await env.berth.importImage(Readable.from([tarBuf]), { repo: 'devimg', tag: 'v1' });
    for await (const _ of progress) {
      /* drain */
    }
    const r = await runToExit(env.berth, {
      Image: 'devimg:v1',
      Cmd: ['sh', '-c', 'ls -ln /disk /pipe; if head -c 512 /disk > /dev/null; then echo OPENED; else echo DENIED; fi'],
      HostConfig: { NetworkMode: 'none' },
    } as never);
    assert.match(r.stdout, new RegExp(`^b.* ${dev.major}, +${dev.minor} .*/disk$`, 'm'), r.stdout);
    assert.match(r.stdout, /^p.* \/pipe$/m, r.stdout);
    assert.match(r.stdout, /DENIED/, `${dev.path} opened from a container: ${r.stdout} ${r.stderr}`);
    assert.match(r.stderr, /Operation not permitted/);
  });
});
