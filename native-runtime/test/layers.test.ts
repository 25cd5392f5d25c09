import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FsContentStore } from '../src/content/index.js';
import { applyLayer, diffDirectory, LayerError, writeLayer } from '../src/layers/index.js';
import { listTree, makeTar, readTar, tmpRoot, type TarEntry } from './layers-helpers.js';
import { needsNative as needsNativeAddon } from './support/native.ts';

const sha = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
const needsNative = needsNativeAddon();

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

test('applies files, dirs, symlinks, hardlinks with modes, owners, mtimes; plain and gzip give the same diffID', async (t) => {
  const root = await tmpRoot(t);
  const entries: TarEntry[] = [
    { name: 'bin/', type: 'directory', mode: 0o755, mtime: new Date(1600000000000) },
    { name: 'bin/tool', mode: 0o4755, uid: 1000, gid: 1001, body: '#!/bin/sh\n', mtime: new Date(1600000001000) },
    { name: 'bin/alias', type: 'link', linkname: 'bin/tool' },
    { name: 'etc/abs', type: 'symlink', linkname: '/etc/passwd', uid: 5, gid: 6 },
    { name: './usr/local/rel', type: 'symlink', linkname: '../../bin/tool' },
    { name: '/top', body: 'x', mode: 0o600 },
  ];
  const plain = await makeTar(entries);
  for (const [label, blob] of [['plain', plain], ['gzip', gzipSync(plain)]] as const) {
    const dest = path.join(root, label);
    await fsp.mkdir(dest);
    const res = await applyLayer(once(blob), dest);
    assert.equal(res.diffId, sha(plain), label);
    assert.equal(res.tarSize, plain.length);
    const st = await fsp.stat(path.join(dest, 'bin/tool'));
    assert.equal(st.mode & 0o7777, 0o4755, 'setuid kept');
    assert.equal(st.uid, 1000);
    assert.equal(st.gid, 1001);
    assert.equal(st.mtimeMs, 1600000001000);
    assert.equal(st.nlink, 2);
    assert.equal((await fsp.stat(path.join(dest, 'bin'))).mtimeMs, 1600000000000, 'dir mtime set after its children');
    assert.equal(await fsp.readlink(path.join(dest, 'etc/abs')), '/etc/passwd');
    assert.equal((await fsp.lstat(path.join(dest, 'etc/abs'))).uid, 5);
    assert.equal(await fsp.readlink(path.join(dest, 'usr/local/rel')), '../../bin/tool');
    assert.equal((await fsp.stat(path.join(dest, 'top'))).mode & 0o777, 0o600);
    // size as Docker's DiffSize: file bytes once per inode + symlink target lengths
    assert.equal(res.size, 10 + '/etc/passwd'.length + '../../bin/tool'.length + 1);
  }
});

const hostile: Array<[string, TarEntry[]]> = [
  ['../x', [{ name: '../x', body: 'pwned' }]],
  ['/abs/../../x', [{ name: '/abs/../../x', body: 'pwned' }]],
  ['l -> /etc then l/passwd', [{ name: 'l', type: 'symlink', linkname: '/etc' }, { name: 'l/passwd', body: 'pwned' }]],
  ['l -> ../../.. then l/x', [{ name: 'l', type: 'symlink', linkname: '../../..' }, { name: 'l/x', body: 'pwned' }]],
  ['l -> canary dir then l/x', [{ name: 'l', type: 'symlink', linkname: '../canary' }, { name: 'l/x', body: 'pwned' }]],
  ['hardlink to ../../etc/passwd', [{ name: 'h', type: 'link', linkname: '../../etc/passwd' }]],
  ['hardlink to /etc/passwd', [{ name: 'h', type: 'link', linkname: '/etc/passwd' }]],
  ['hardlink through a symlink', [{ name: 'l', type: 'symlink', linkname: '/etc' }, { name: 'h', type: 'link', linkname: 'l/passwd' }]],
  // Device nodes and fifos are kept (test/layer-devices.test.ts): the devices cgroup decides what opens.
];

for (const [label, entries] of hostile) {
  test(`refuses hostile tar: ${label}`, async (t) => {
    const root = await tmpRoot(t);
    const dest = path.join(root, 'a', 'b', 'dest');
    await fsp.mkdir(dest, { recursive: true });
    await fsp.mkdir(path.join(root, 'a', 'b', 'canary'));
    await fsp.writeFile(path.join(root, 'a', 'b', 'canary', 'keep'), 'canary');
    const passwdBefore = await fsp.readFile('/etc/passwd');
    const before = await listTree(root, dest);
    const tarBuf = await makeTar(entries);
    await assert.rejects(applyLayer(once(tarBuf), dest), (e: unknown) => {
      assert.ok(e instanceof LayerError, String(e));
      assert.equal(e.code, 'UNSAFE_ENTRY');
      assert.ok(e.entry !== undefined && e.message.includes(JSON.stringify(e.entry)), 'error names the entry');
      return true;
    });
    assert.deepEqual(await listTree(root, dest), before, 'nothing written outside dest');
    assert.deepEqual(await fsp.readFile('/etc/passwd'), passwdBefore);
    await assert.rejects(fsp.access('/x'));
  });
}

test('whiteouts and opaque dirs become overlay whiteouts; mounted, the deleted files are invisible', needsNative, async (t) => {
  const native = await import('../src/native/index.js');
  const root = await tmpRoot(t);
  const lower = path.join(root, 'lower');
  const upper = path.join(root, 'upper');
  const work = path.join(root, 'work');
  const merged = path.join(root, 'merged');
  for (const d of [lower, upper, work, merged]) await fsp.mkdir(d);
  await applyLayer(once(await makeTar([
    { name: 'a/keep', body: 'k' },
    { name: 'a/gone', body: 'g' },
    { name: 'd/old', body: 'o' },
  ])), lower);
  await applyLayer(once(await makeTar([
    { name: 'a/.wh.gone', body: '' },
    { name: 'd/', type: 'directory', mode: 0o755 },
    { name: 'd/.wh..wh..opq', body: '' },
    { name: 'd/new', body: 'n' },
  ])), upper);
  const wst = await fsp.lstat(path.join(upper, 'a/gone'));
  assert.ok(wst.isCharacterDevice());
  assert.equal(wst.rdev, 0);
  assert.equal(native.getxattr(path.join(upper, 'd'), 'trusted.overlay.opaque')?.toString(), 'y');

  native.mountOverlay({ cwd: root, lower: ['lower'], upper, work, target: merged });
  try {
    assert.deepEqual((await fsp.readdir(path.join(merged, 'a'))).sort(), ['keep']);
    assert.deepEqual((await fsp.readdir(path.join(merged, 'd'))).sort(), ['new']);
    await assert.rejects(fsp.access(path.join(merged, 'a/gone')));
  } finally {
    native.umount(merged, 0);
  }

  // diffDirectory turns them back into .wh. entries, deterministically
  const collect = async (): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const c of diffDirectory(upper)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };
  const t1 = await collect();
  const t2 = await collect();
  assert.equal(sha(t1), sha(t2));
  const names = (await readTar(once(t1))).map((e) => `${e.type} ${e.name}`);
  assert.deepEqual(names, ['directory a/', 'file a/.wh.gone', 'directory d/', 'file d/.wh..wh..opq', 'file d/new']);

  // and that tar applies back to the same overlay form
  const again = path.join(root, 'again');
  await fsp.mkdir(again);
  const res = await applyLayer(once(t1), again);
  assert.equal(res.diffId, sha(t1));
  assert.ok((await fsp.lstat(path.join(again, 'a/gone'))).isCharacterDevice());
  assert.equal(native.getxattr(path.join(again, 'd'), 'trusted.overlay.opaque')?.toString(), 'y');
});

test('diffDirectory keeps hardlinks, symlinks, modes and mtimes', needsNative, async (t) => {
  const root = await tmpRoot(t);
  const dir = path.join(root, 'up');
  await fsp.mkdir(path.join(dir, 'x'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'x/f'), 'data');
  await fsp.chmod(path.join(dir, 'x/f'), 0o2750);
  await fsp.link(path.join(dir, 'x/f'), path.join(dir, 'x/g'));
  await fsp.symlink('/nowhere', path.join(dir, 's'));
  await fsp.utimes(path.join(dir, 'x/f'), 1500000000, 1500000000);
  const entries = await readTar(diffDirectory(dir));
  const by = new Map(entries.map((e) => [e.name, e]));
  assert.equal(by.get('x/f')!.mode, 0o2750);
  assert.equal(by.get('x/f')!.body.toString(), 'data');
  assert.equal(by.get('x/f')!.mtime.getTime(), 1500000000000);
  assert.equal(by.get('x/g')!.type, 'link');
  assert.equal(by.get('x/g')!.linkname, 'x/f');
  assert.equal(by.get('s')!.linkname, '/nowhere');
});

test('writeLayer gzips into the content store computing digest and diffID in one pass', async (t) => {
  const root = await tmpRoot(t);
  const store = await FsContentStore.open(path.join(root, 'content'));
  const plain = await makeTar([{ name: 'f', body: 'hello' }]);
  const w = await writeLayer(once(plain), store);
  assert.equal(w.diffId, sha(plain));
  assert.equal(w.tarSize, plain.length);
  const blob = await store.readBuffer(w.digest);
  assert.equal(sha(blob), w.digest);
  assert.equal(blob.length, w.size);
  assert.equal(w.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  const dest = path.join(root, 'dest');
  await fsp.mkdir(dest);
  assert.equal((await applyLayer(await store.readStream(w.digest), dest)).diffId, w.diffId);
  // deterministic: the same tar gives the same blob
  assert.equal((await writeLayer(once(plain), store)).digest, w.digest);
});
