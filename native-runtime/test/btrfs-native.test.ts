// The addon's btrfs ioctls (native/addon/btrfs.cc) and its tree comparison (native/addon/tree_diff.cc)
// on real loop-mounted filesystems: subvolumes, writable and read-only snapshots, the read-only flag,
// deletion, errors as values on a filesystem that is not btrfs, and an upper view that never follows a
// symlink out of the tree.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { btrfs, NativeCallError, treeChanges } from '../src/native/index.js';
import { fsUnavailable, makeLoopFs } from './storage-helpers.js';

test('btrfs subvolumes and snapshots by ioctl', { skip: fsUnavailable('btrfs') ?? false }, async (t) => {
  const root = makeLoopFs(t, 'btrfs');
  const base = path.join(root, 'base');
  await btrfs.createSubvolume(base);
  assert.equal(btrfs.isSubvolume(base), true);
  fs.writeFileSync(path.join(base, 'f'), 'one');
  await btrfs.setReadonly(base, true);
  assert.throws(() => fs.writeFileSync(path.join(base, 'g'), 'x'), /EROFS/);

  const snap = path.join(root, 'snap');
  await btrfs.snapshot(base, snap);
  assert.equal(btrfs.isSubvolume(snap), true);
  assert.equal(fs.readFileSync(path.join(snap, 'f'), 'utf8'), 'one');
  fs.writeFileSync(path.join(snap, 'f'), 'two'); // a snapshot without flags is writable
  assert.equal(fs.readFileSync(path.join(base, 'f'), 'utf8'), 'one', 'copy on write: the parent is untouched');
  // Same inode number in the snapshot: what the exact diff relies on.
  assert.equal(fs.statSync(path.join(base, 'f')).ino, fs.statSync(path.join(root, 'snap', 'f')).ino);

  const view = path.join(root, 'view');
  await btrfs.snapshot(base, view, { readonly: true });
  assert.throws(() => fs.writeFileSync(path.join(view, 'g'), 'x'), /EROFS/);

  await btrfs.setReadonly(base, false);
  fs.writeFileSync(path.join(base, 'g'), 'now writable');
  const plain = path.join(root, 'plain');
  fs.mkdirSync(plain);
  assert.equal(btrfs.isSubvolume(plain), false);

  for (const d of [view, snap]) {
    await btrfs.deleteSubvolume(d);
    assert.equal(fs.existsSync(d), false);
  }
  // Errors are values turned into NativeCallError, with what failed and why.
  await assert.rejects(btrfs.snapshot(base, path.join(root, 'nodir', 'x')), (e: NativeCallError) => e instanceof NativeCallError && e.errno === 2 && /open .*nodir/.test(e.message));
  await assert.rejects(btrfs.deleteSubvolume(path.join(root, 'missing')), (e: NativeCallError) => e.errno === 2 && /delete subvolume/.test(e.message));
  await assert.rejects(btrfs.createSubvolume('relative/x'), (e: NativeCallError) => e.errno === 22);
});

test('btrfs ioctls on another filesystem fail with a clear error', { skip: fsUnavailable('ext4') ?? false }, async (t) => {
  const root = makeLoopFs(t, 'ext4');
  fs.mkdirSync(path.join(root, 'src'));
  await assert.rejects(btrfs.snapshot(path.join(root, 'src'), path.join(root, 'dst')), (e: NativeCallError) =>
    e instanceof NativeCallError && /snapshot .*src to .*dst: Inappropriate ioctl/.test(e.message));
  await assert.rejects(btrfs.createSubvolume(path.join(root, 'sub')), /create subvolume .*: Inappropriate ioctl/);
});

test('treeChanges: changes, size and an upper view with directory xattrs; a symlinked dir is never followed', { skip: fsUnavailable('ext4') ?? false }, async (t) => {
  const root = makeLoopFs(t, 'ext4');
  const old = path.join(root, 'old');
  const cur = path.join(root, 'new');
  const outside = path.join(root, 'outside');
  for (const d of [old, cur, outside]) fs.mkdirSync(d);
  fs.writeFileSync(path.join(outside, 'secret'), 'host file');
  for (const d of [old, cur]) {
    fs.mkdirSync(path.join(d, 'keep'));
    fs.writeFileSync(path.join(d, 'keep/same'), 'same');
    fs.utimesSync(path.join(d, 'keep/same'), 1000, 1000);
    fs.utimesSync(path.join(d, 'keep'), 1000, 1000);
    fs.writeFileSync(path.join(d, 'gone'), 'x');
  }
  fs.rmSync(path.join(cur, 'gone'));
  fs.mkdirSync(path.join(cur, 'added'));
  const { setxattr, getxattr } = await import('../src/native/index.js');
  setxattr(path.join(cur, 'added'), 'user.berth', Buffer.from('dir-attr'));
  fs.writeFileSync(path.join(cur, 'added/file'), '12345');
  fs.symlinkSync(outside, path.join(cur, 'esc')); // a symlink to a directory outside the tree
  const upper = path.join(root, 'upper');
  const r = await treeChanges(cur, [old], { exact: false, upper });
  const kinds = Object.fromEntries(r.changes.map((c) => [c.Path, c.Kind]));
  assert.deepEqual(kinds, { '/added': 1, '/added/file': 1, '/esc': 1, '/gone': 2 });
  assert.equal(r.size, 5 + fs.lstatSync(path.join(cur, 'esc')).size);
  assert.equal(getxattr(path.join(upper, 'added'), 'user.berth')?.toString(), 'dir-attr');
  assert.equal(fs.statSync(path.join(upper, 'added/file')).ino, fs.statSync(path.join(cur, 'added/file')).ino, 'a hard link, no copy');
  assert.ok(fs.lstatSync(path.join(upper, 'gone')).isCharacterDevice(), 'a whiteout');
  assert.ok(fs.lstatSync(path.join(upper, 'esc')).isSymbolicLink());
  assert.equal(fs.existsSync(path.join(upper, 'esc', 'secret')) && fs.lstatSync(path.join(upper, 'esc')).isDirectory(), false);
  await assert.rejects(treeChanges('rel', [], { exact: false }), /absolute paths/);
});
