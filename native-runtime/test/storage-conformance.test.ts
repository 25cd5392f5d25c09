// The storage drivers' conformance suite (as containerd's SnapshotterSuite): every driver runs the same
// checks, each on a filesystem this test makes in a loop-mounted file (btrfs, xfs, ext4).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FsContentStore } from '../src/content/index.js';
import { writeLayer } from '../src/layers/index.js';
import { diffDirectory } from '../src/layers/diff.js';
import { getxattr, mknod, S_IFCHR, setxattr } from '../src/native/index.js';
import {
  chooseDriver,
  dirSnapshotChanges,
  driverDir,
  openSnapshotter,
  SnapshotError,
  unpackImage,
  upperView,
  type DriverName,
  type Snapshotter,
} from '../src/snapshots/index.js';
import { DRIVERS_ON, fsUnavailable, makeLoopFs, withMounted, type FsKind } from './storage-helpers.js';

const BIG = 1 << 20;

/** Fills a base layer with every kind of entry the drivers must keep. */
function fillBase(dir: string): void {
  const w = (rel: string, body: string | Buffer, mode = 0o644): void => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), body, { mode });
  };
  w('etc/motd', 'hello\n');
  w('big.bin', Buffer.alloc(BIG, 7));
  w('gone.txt', 'bye');
  w('deldir/a/b/c.txt', 'deep');
  w('repl/old.txt', 'old');
  w('movedir/x/y.txt', 'move me');
  w('suid', '#!/bin/sh\n', 0o4755);
  fs.chmodSync(path.join(dir, 'suid'), 0o4755);
  w('owned', 'mine');
  fs.chownSync(path.join(dir, 'owned'), 1000, 1001);
  fs.mkdirSync(path.join(dir, 'private'), { mode: 0o700 });
  fs.chmodSync(path.join(dir, 'private'), 0o700);
  fs.symlinkSync('etc/motd', path.join(dir, 'link'));
  fs.symlinkSync('/nowhere', path.join(dir, 'dangling'));
  fs.linkSync(path.join(dir, 'etc/motd'), path.join(dir, 'hard'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  mknod(path.join(dir, 'null'), S_IFCHR | 0o666, 1, 3);
  setxattr(path.join(dir, 'etc/motd'), 'user.berth', Buffer.from('x1'));
  // Directory xattrs must reach the layer tars too (the vfs upper view once dropped them).
  setxattr(path.join(dir, 'private'), 'user.berth', Buffer.from('d1'));
}

/** The container's changes: modify, delete a file and a deep dir, replace a dir, rename a dir, add. */
function changeChild(dir: string): void {
  fs.writeFileSync(path.join(dir, 'etc/motd'), 'changed\n'); // also changes `hard` (same inode)
  fs.rmSync(path.join(dir, 'gone.txt'));
  fs.rmSync(path.join(dir, 'deldir'), { recursive: true });
  fs.rmSync(path.join(dir, 'repl'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'repl'));
  fs.writeFileSync(path.join(dir, 'repl/new.txt'), 'new');
  // overlay answers rename(2) of a lower directory with EXDEV; mv falls back to copy + delete, as
  // programs in containers do.
  execFileSync('mv', [path.join(dir, 'movedir'), path.join(dir, 'moved')]);
  fs.writeFileSync(path.join(dir, 'added.txt'), 'added');
  fs.linkSync(path.join(dir, 'added.txt'), path.join(dir, 'added-link'));
  fs.chownSync(path.join(dir, 'owned'), 2000, 2000);
  setxattr(path.join(dir, 'etc'), 'user.berth', Buffer.from('d2'));
}

/** Everything the drivers must keep, per path: type, mode, owner, size, content, link, rdev, xattr, hardlink group. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const inodes = new Map<number, string>();
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = path.posix.join(rel, name);
      const p = path.join(root, r);
      const st = fs.lstatSync(p);
      let desc = `${st.mode.toString(8)} ${st.uid}:${st.gid}`;
      if (st.isFile()) {
        desc += ` ${st.size} ${createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 12)}`;
        const x = getxattr(p, 'user.berth');
        if (x) desc += ` xattr=${x.toString()}`;
        if (st.nlink > 1) {
          const first = inodes.get(st.ino);
          if (first) desc += ` =${first}`;
          else inodes.set(st.ino, r);
        }
      }
      if (st.isDirectory()) {
        const x = getxattr(p, 'user.berth');
        if (x) desc += ` xattr=${x.toString()}`;
      }
      if (st.isSymbolicLink()) desc += ` -> ${fs.readlinkSync(p)}`;
      if (st.isCharacterDevice()) desc += ` dev=${st.rdev}`;
      out[r] = desc;
      if (st.isDirectory()) walk(r);
    }
  };
  walk('/');
  return out;
}

async function layerOf(snaps: Snapshotter, store: FsContentStore, key: string): Promise<{ digest: string; diffId: string }> {
  const v = await upperView(snaps, key);
  try {
    const w = await writeLayer(diffDirectory(v.upper), store);
    return { digest: w.digest, diffId: w.diffId };
  } finally {
    await v.release();
  }
}

async function conformance(t: TestContext, kind: FsKind, driver: DriverName): Promise<void> {
  const root = makeLoopFs(t, kind);
  const snaps = await openSnapshotter(root, driver);
  assert.equal(snaps.driver, driver);
  const store = await FsContentStore.open(path.join(root, 'content'));

  await t.test('layers and commits keep every kind of entry', async () => {
    await snaps.prepare('base-active');
    fillBase(await snaps.fsPath('base-active'));
    const before = tree(await snaps.fsPath('base-active'));
    await snaps.commit('base', 'base-active');
    assert.equal((await snaps.stat('base')).kind, 'committed');
    await assert.rejects(snaps.commit('x', 'base'), (e: SnapshotError) => e.code === 'FAILED_PRECONDITION');
    await snaps.view('base-view', 'base');
    await withMounted(snaps, 'base-view', (dir) => assert.deepEqual(tree(dir), before));
    await assert.rejects(snaps.remove('base'), (e: SnapshotError) => e.code === 'FAILED_PRECONDITION');
    await snaps.remove('base-view');
    const walked: string[] = [];
    await snaps.walk((i) => void walked.push(i.key));
    assert.deepEqual(walked, ['base']);
  });

  await t.test('a child layer: whiteouts, opaque and renamed dirs, hardlinks; its layer tar rebuilds it', async () => {
    await snaps.prepare('child', 'base');
    await withMounted(snaps, 'child', (dir) => changeChild(dir));
    const expected = await withMounted(snaps, 'child', (dir) => tree(dir));
    assert.equal(expected['/gone.txt'], undefined);
    assert.equal(expected['/deldir'], undefined);
    assert.deepEqual(Object.keys(expected).filter((k) => k.startsWith('/repl/')), ['/repl/new.txt']);
    assert.ok(expected['/moved/x/y.txt'] && !expected['/movedir']);

    // The layer tars of base and child, unpacked into a fresh root of the same driver, give the same tree.
    const layers = [await layerOf(snaps, store, 'base'), await layerOf(snaps, store, 'child')];
    const other = await openSnapshotter(path.join(root, 'other'), driver);
    const { chainIds } = await unpackImage(other, store, layers);
    await other.view('check', chainIds[1]!);
    // Fifos and device nodes travel in layer tars too (as with dockerd), and directory xattrs on every driver.
    await withMounted(other, 'check', (dir) => assert.deepEqual(tree(dir), expected));

    if (driver !== 'overlay') {
      // docker diff's changes (moby's ChangesDirs): a deleted directory is one change.
      const changes = await dirSnapshotChanges(snaps, 'child');
      const byPath = new Map(changes.map((c) => [c.Path, c.Kind]));
      assert.equal(byPath.get('/gone.txt'), 2);
      assert.equal(byPath.get('/deldir'), 2);
      assert.equal(byPath.has('/deldir/a'), false);
      assert.equal(byPath.get('/repl/old.txt'), 2);
      assert.equal(byPath.get('/repl/new.txt'), 1);
      assert.equal(byPath.get('/movedir'), 2);
      assert.equal(byPath.get('/moved/x/y.txt'), 1);
      assert.equal(byPath.get('/etc/motd'), 0);
      assert.equal(byPath.get('/etc'), 0);
      assert.equal(byPath.get('/owned'), 0);
      assert.equal(byPath.has('/big.bin'), false);
      assert.equal(byPath.has('/suid'), false);
    }
  });

  await t.test('usage counts a layer\'s own bytes', async () => {
    await snaps.commit('child-c', 'child');
    const base = await snaps.usage('base');
    const child = await snaps.usage('child-c');
    assert.ok(base.size >= BIG, `base ${base.size}`);
    assert.ok(child.size < BIG / 2, `child ${child.size} must not count the unchanged 1 MiB file`);
    assert.ok(child.size >= 'changed\n'.length + 'added'.length, `child ${child.size}`);
  });

  await t.test('remove: children first; the files go', async () => {
    const dir = path.dirname(await snaps.fsPath('child-c'));
    await snaps.remove('child-c');
    assert.equal(fs.existsSync(dir), false);
    await assert.rejects(snaps.stat('child-c'), (e: SnapshotError) => e.code === 'NOT_FOUND');
  });

  await t.test('kill -9 in the middle of commits leaves a consistent store', async () => {
    const data = path.join(root, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/storage-commit-loop.ts'), data, driver], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (c) => reject(new Error(`the commit loop exited with ${c}`)));
    });
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 400));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const again = await openSnapshotter(data, driver);
    await again.cleanup();
    const list = await again.list();
    assert.ok(list.some((s) => s.kind === 'committed'));
    const ids = new Set<string>();
    for (const s of list) {
      const fsDir = await again.fsPath(s.key);
      ids.add(path.basename(path.dirname(fsDir)));
      if (s.kind !== 'committed') continue;
      const i = Number(s.key.slice('layer-'.length));
      const own = fs.readdirSync(fsDir).filter((n) => n.startsWith(`f${i}-`));
      assert.equal(own.length, 100, `${s.key} is complete`);
    }
    // No files without a record after cleanup.
    for (const n of fs.readdirSync(driverDir(data, driver))) if (/^[a-f0-9]{64}$/.test(n)) assert.ok(ids.has(n), `orphan ${n}`);
  });
}

for (const kind of ['btrfs', 'xfs', 'ext4'] as const) {
  for (const driver of DRIVERS_ON[kind]) {
    test(`${driver} on ${kind}`, { skip: fsUnavailable(kind) ?? false }, (t) => conformance(t, kind, driver));
  }
}

test('the default driver follows the filesystem; BERTH_STORAGE_DRIVER overrides it; others\' data is left alone', { skip: fsUnavailable('btrfs') ?? false }, async (t) => {
  const btrfs = makeLoopFs(t, 'btrfs', 200);
  const ext4 = makeLoopFs(t, 'ext4', 64);
  assert.equal((await chooseDriver(btrfs, {})).driver, 'btrfs');
  assert.equal((await chooseDriver(btrfs, {})).fs.name, 'btrfs');
  assert.equal((await chooseDriver(ext4, {})).driver, 'overlay');
  assert.equal((await chooseDriver(ext4, { BERTH_STORAGE_DRIVER: 'vfs' })).driver, 'vfs');
  await assert.rejects(chooseDriver(ext4, { BERTH_STORAGE_DRIVER: 'aufs' }), /unknown storage driver/);
  await assert.rejects(openSnapshotter(ext4, 'btrfs'), /needs .* on btrfs/);
  const ov = await openSnapshotter(ext4, 'overlay');
  await ov.prepare('a');
  const choice = await chooseDriver(ext4, { BERTH_STORAGE_DRIVER: 'vfs' });
  assert.match(choice.warnings.join('\n'), /overlay storage driver's data .* is left alone/);
  assert.ok(fs.existsSync(path.join(driverDir(ext4, 'overlay'), 'meta.json')));
  // Without a choice, the root keeps the driver whose data it has (dockerd's prior driver), even on btrfs.
  const onBtrfs = await openSnapshotter(btrfs, 'vfs');
  await onBtrfs.prepare('a');
  assert.equal((await chooseDriver(btrfs, {})).driver, 'vfs');
  const both = await openSnapshotter(ext4, 'vfs');
  await both.prepare('b');
  await assert.rejects(chooseDriver(ext4, {}), /several storage drivers \(overlay, vfs\)/);
});
