// Issue #16 item 9: device nodes and fifos in layers are kept, as dockerd (as root) keeps them, so a
// debootstrap tarball with ./dev/* imports. What a container may open stays the devices cgroup's
// decision: a block device node shipped in an image (the host's disk's major:minor) cannot be opened.
import assert from 'node:assert/strict';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { applyLayer } from '../src/layers/index.js';
import { makeEnv, runToExit, type TestEnv } from './berth-helpers.ts';
import { makeTar, tmpRoot } from './layers-helpers.js';

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
