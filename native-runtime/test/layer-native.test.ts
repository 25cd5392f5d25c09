// The C++ layer tar code (native/addon/tar_reader, layer_apply, layer_diff, ...) through applyLayer / diffDirectory: tar dialects
// (GNU long names, ustar prefix, PAX path/linkpath/mtime/uid/xattrs, v7), binary xattrs both ways,
// hostile tars the dialects make possible, directory-fd caching after replacements, and interop with
// GNU tar in both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { applyLayer, diffDirectory, LayerError } from '../src/layers/index.js';
import * as native from '../src/native/index.js';
import { diskUsage as jsDiskUsage } from '../src/util/du.js';
import { listTree, makeTar, readTar, tmpRoot } from './layers-helpers.js';

const sha = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** Byte-at-a-time and odd-sized chunks: every parser state must survive a chunk boundary. */
async function* dribble(b: Buffer, sizes = [1, 7, 511, 513, 4096]): AsyncGenerator<Buffer> {
  let off = 0;
  for (let i = 0; off < b.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield b.subarray(off, off + n);
    off += n;
  }
}

async function collect(dir: string, onSkip?: (rel: string, reason: string) => void): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of diffDirectory(dir, { onSkip })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

// A raw tar writer, for headers tar-stream will not produce (binary PAX values, GNU 'L'/'K', bad sums).
function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}
function header(name: string, type: string, size: number, opts: { linkname?: string; mode?: number; mtime?: number; prefix?: string } = {}): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write(octal(opts.mode ?? 0o644, 8), 100, 'latin1');
  b.write(octal(0, 8), 108, 'latin1');
  b.write(octal(0, 8), 116, 'latin1');
  b.write(octal(size, 12), 124, 'latin1');
  b.write(octal(opts.mtime ?? 1700000000, 12), 136, 'latin1');
  b.fill(' ', 148, 156);
  b.write(type, 156, 'latin1');
  if (opts.linkname) b.write(opts.linkname, 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 'latin1');
  if (opts.prefix) b.write(opts.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const c of b) sum += c;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}
function body(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
  return Buffer.concat([Buffer.from(String(len)), rest]);
}
function entry(name: string, type: string, data: Buffer, opts: Parameters<typeof header>[3] = {}, pax?: Buffer): Buffer {
  const parts: Buffer[] = [];
  if (pax) parts.push(header('PaxHeaders/x', 'x', pax.length), body(pax));
  parts.push(header(name, type, data.length, opts), body(data));
  return Buffer.concat(parts);
}
const END = Buffer.alloc(1024);

test('GNU, ustar-prefix, PAX and v7 dialects (from GNU tar itself) extract identically, in any chunking', async (t) => {
  const root = await tmpRoot(t);
  const src = path.join(root, 'src');
  const longDir = 'd'.repeat(90) + '/' + 'e'.repeat(90) + '/' + 'f'.repeat(60);
  await fsp.mkdir(path.join(src, longDir), { recursive: true });
  await fsp.writeFile(path.join(src, longDir, 'g'.repeat(99)), 'deep');
  await fsp.symlink('t'.repeat(150), path.join(src, 'longlink'));
  await fsp.writeFile(path.join(src, 'plain'), Buffer.alloc(70000, 7));
  await fsp.link(path.join(src, 'plain'), path.join(src, 'hard-' + 'h'.repeat(120)));
  await fsp.utimes(path.join(src, 'plain'), 1234567890, 1234567890);
  const expected = await listTree(src);
  for (const format of ['gnu', 'ustar', 'pax', 'v7']) {
    // v7 and ustar cannot hold every name here: GNU tar skips those with a warning, which is fine.
    const tarFile = path.join(root, `${format}.tar`);
    try {
      execFileSync('tar', [`--format=${format}`, '-cf', tarFile, '-C', src, '.'], { stdio: 'ignore' });
    } catch {
      /* exit status 2 after skipping the names the format cannot hold */
    }
    const blob = await fsp.readFile(tarFile);
    const ref = path.join(root, `${format}-ref`);
    await fsp.mkdir(ref);
    execFileSync('tar', ['-xf', tarFile, '-C', ref]);
    for (const [label, chunks] of [['whole', once(blob)], ['dribbled', dribble(blob)]] as const) {
      const dest = path.join(root, `${format}-${label}`);
      await fsp.mkdir(dest);
      const res = await applyLayer(chunks, dest);
      assert.equal(res.diffId, sha(blob), `${format} ${label}`);
      assert.deepEqual(await listTree(dest), await listTree(ref), `${format} ${label} matches GNU tar's extraction`);
    }
    if (format === 'gnu' || format === 'pax') {
      assert.deepEqual(await listTree(path.join(root, `${format}-whole`)), expected);
      const dest = path.join(root, `${format}-whole`);
      assert.equal((await fsp.stat(path.join(dest, 'plain'))).mtimeMs, 1234567890000);
      assert.equal((await fsp.stat(path.join(dest, 'plain'))).nlink, 2);
      assert.equal(await fsp.readlink(path.join(dest, 'longlink')), 't'.repeat(150));
    }
  }
});

test('PAX records: path, linkpath, sub-second mtime, large uid/gid and binary SCHILY.xattr values', async (t) => {
  const root = await tmpRoot(t);
  const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 61, 0]);
  const long = 'p/'.repeat(80) + 'file';
  const tarBuf = Buffer.concat([
    entry('ignored-name', '0', Buffer.from('pax named'), {}, Buffer.concat([
      paxRecord('path', Buffer.from(long)),
      paxRecord('mtime', Buffer.from('1600000000.123456789')),
      paxRecord('uid', Buffer.from('3000000')),
      paxRecord('gid', Buffer.from('3000001')),
      paxRecord('SCHILY.xattr.user.bin', binary),
      paxRecord('SCHILY.xattr.user.text', Buffer.from('héllo')),
    ])),
    entry('dir/', '5', Buffer.alloc(0), { mode: 0o750 }, paxRecord('SCHILY.xattr.user.d', Buffer.from('on a dir'))),
    entry('ln', '2', Buffer.alloc(0), { linkname: 'short' }, paxRecord('linkpath', Buffer.from('/' + 'l'.repeat(300)))),
    END,
  ]);
  const dest = path.join(root, 'dest');
  await fsp.mkdir(dest);
  await applyLayer(dribble(tarBuf), dest);
  const f = path.join(dest, long);
  const st = await fsp.stat(f, { bigint: true });
  assert.equal(st.mtimeNs, 1600000000123456789n);
  assert.equal(st.uid, 3000000n);
  assert.equal(st.gid, 3000001n);
  assert.deepEqual(native.getxattr(f, 'user.bin'), binary);
  assert.equal(native.getxattr(f, 'user.text')?.toString(), 'héllo');
  assert.equal(native.getxattr(path.join(dest, 'dir'), 'user.d')?.toString(), 'on a dir');
  assert.equal((await fsp.stat(path.join(dest, 'dir'))).mode & 0o7777, 0o750);
  assert.equal(await fsp.readlink(path.join(dest, 'ln')), '/' + 'l'.repeat(300));

  // diffDirectory writes the same facts back: PAX for what ustar cannot hold, xattrs binary-exact.
  const out = await readTar(once(await collect(dest)));
  const by = new Map(out.map((e) => [e.name, e]));
  const fe = by.get(long)!;
  const pax = fe.pax as Record<string, string> | null;
  assert.equal(pax?.uid, '3000000', 'ids past 7 octal digits travel as PAX records');
  assert.equal(pax?.gid, '3000001');
  assert.equal(fe.body.toString(), 'pax named');
  assert.equal(by.get('ln')!.linkname, '/' + 'l'.repeat(300));
  const again = path.join(root, 'again');
  await fsp.mkdir(again);
  await applyLayer(once(await collect(dest)), again);
  assert.deepEqual(native.getxattr(path.join(again, long), 'user.bin'), binary);
  assert.equal(native.getxattr(path.join(again, 'dir'), 'user.d')?.toString(), 'on a dir');
  // GNU tar reads the xattrs too.
  const listing = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-tvvf', '-'], { input: await collect(dest) }).toString();
  assert.match(listing, /x: \d+ user\.bin/);
  assert.match(listing, /3000000\/3000001/);
});

const hostileDialects: Array<[string, Buffer, RegExp]> = [
  ['PAX path with ..', Buffer.concat([entry('innocent', '0', Buffer.from('x'), {}, paxRecord('path', Buffer.from('a/../../escape'))), END]), /"\.\." component/],
  ['GNU long name with ..', Buffer.concat([header('././@LongLink', 'L', 12), body(Buffer.from('../escape\0\0\0')), header('innocent', '0', 1), body(Buffer.from('x')), END]), /"\.\." component/],
  ['GNU long link out of the layer', Buffer.concat([entry('f', '0', Buffer.from('x')), header('././@LongLink', 'K', 16), body(Buffer.from('../../etc/passwd')), header('h', '1', 0, { linkname: 'f' }), END]), /"\.\." component/],
  ['ustar prefix with ..', Buffer.concat([entry('x', '0', Buffer.from('x'), { prefix: '../..' }), END]), /"\.\." component/],
  ['overlay xattr smuggled in PAX', Buffer.concat([entry('f', '0', Buffer.from('x'), {}, paxRecord('SCHILY.xattr.trusted.overlay.opaque', Buffer.from('y'))), END]), /overlay xattr/],
  ['hardlink to a directory', Buffer.concat([entry('d/', '5', Buffer.alloc(0)), entry('h', '1', Buffer.alloc(0), { linkname: 'd' }), END]), /was not extracted earlier/],
  ['entry below a file', Buffer.concat([entry('f', '0', Buffer.from('x')), entry('f/x', '0', Buffer.from('x')), END]), /parent f is not a directory/],
  // The directory fd cache must notice that `a` stopped being a directory.
  ['dir replaced by a symlink, then written through', Buffer.concat([entry('a/x', '0', Buffer.from('x')), entry('a', '2', Buffer.alloc(0), { linkname: '/tmp' }), entry('a/y', '0', Buffer.from('pwned')), END]), /below symlink a/],
  ['dir whited out, then written through', Buffer.concat([entry('a/b/x', '0', Buffer.from('x')), entry('a/.wh.b', '0', Buffer.alloc(0)), entry('a/b/y', '0', Buffer.from('y')), END]), /parent a\/b is not a directory/],
];

for (const [label, tarBuf, message] of hostileDialects) {
  test(`refuses hostile tar: ${label}`, async (t) => {
    const root = await tmpRoot(t);
    const dest = path.join(root, 'a', 'dest');
    await fsp.mkdir(dest, { recursive: true });
    const before = await listTree(root, dest);
    await assert.rejects(applyLayer(dribble(tarBuf), dest), (e: unknown) => {
      assert.ok(e instanceof LayerError, String(e));
      assert.equal(e.code, 'UNSAFE_ENTRY');
      assert.match(e.message, message);
      assert.ok(e.entry !== undefined && e.message.includes(JSON.stringify(e.entry)));
      return true;
    });
    assert.deepEqual(await listTree(root, dest), before, 'nothing written outside dest');
  });
}

test('corrupt and truncated tars are INVALID_TAR; padding after the end blocks is fine and hashed', async (t) => {
  const root = await tmpRoot(t);
  const good = await makeTar([{ name: 'f', body: 'hello' }]);
  const bad = Buffer.from(good);
  bad[0] = bad[0]! ^ 1; // name changes, checksum does not
  const cases: Array<[string, Buffer]> = [
    ['bad checksum', bad],
    ['truncated body', good.subarray(0, 514)],
    ['truncated header', good.subarray(0, 300)],
    ['broken PAX record', Buffer.concat([header('PaxHeaders/x', 'x', 9), body(Buffer.from('99 path=x')), header('f', '0', 0), END])],
  ];
  for (const [label, blob] of cases) {
    const dest = await fsp.mkdtemp(path.join(root, 'd-'));
    await assert.rejects(applyLayer(once(blob), dest), (e: unknown) => e instanceof LayerError && e.code === 'INVALID_TAR', label);
  }
  const padded = Buffer.concat([good, Buffer.alloc(10240), Buffer.from('trailing junk after the archive')]);
  const dest = await fsp.mkdtemp(path.join(root, 'd-'));
  const res = await applyLayer(once(padded), dest);
  assert.equal(res.diffId, sha(padded));
  assert.equal(res.tarSize, padded.length);
  assert.equal(await fsp.readFile(path.join(dest, 'f'), 'utf8'), 'hello');
});

test('replacements inside one layer: file over dir, dir over file, symlink over file, whiteout over a cached dir', async (t) => {
  const root = await tmpRoot(t);
  const dest = path.join(root, 'dest');
  await fsp.mkdir(dest);
  const names: string[] = [];
  await applyLayer(
    dribble(await makeTar([
      { name: 'a/deep/x', body: '1' },
      { name: 'a', body: 'now a file' },
      { name: 'b', body: 'was a file' },
      { name: 'b/', type: 'directory', mode: 0o755 },
      { name: 'b/y', body: 'y' },
      { name: 'c', body: 'target' },
      { name: 'c', type: 'symlink', linkname: 'b/y' },
      { name: 'w/k/z', body: 'z' },
      { name: 'w/.wh.k', body: '' },
      { name: 'w/sibling', body: 's' },
      { name: 'l1', body: 'linked' },
      { name: 'l2', type: 'link', linkname: 'l1' },
      { name: 'l2', type: 'link', linkname: 'l1' },
    ])),
    dest,
    { onEntry: (n) => names.push(n) },
  );
  assert.equal(names.length, 13);
  assert.equal(names[0], 'a/deep/x');
  assert.equal(await fsp.readFile(path.join(dest, 'a'), 'utf8'), 'now a file');
  assert.equal(await fsp.readFile(path.join(dest, 'b/y'), 'utf8'), 'y');
  assert.equal(await fsp.readlink(path.join(dest, 'c')), 'b/y');
  assert.ok((await fsp.lstat(path.join(dest, 'w/k'))).isCharacterDevice());
  assert.equal(await fsp.readFile(path.join(dest, 'w/sibling'), 'utf8'), 's');
  assert.equal((await fsp.stat(path.join(dest, 'l1'))).nlink, 2);
});

test('top-level directories: made under a temporary name and renamed into place, none left over; existing ones kept; ext4 root marked +T', async (t) => {
  const root = await tmpRoot(t);
  const dest = path.join(root, 'dest');
  await fsp.mkdir(path.join(dest, 'keep'), { recursive: true });
  await fsp.writeFile(path.join(dest, 'keep/old'), 'old');
  await fsp.writeFile(path.join(dest, 'f'), 'a file the layer makes a directory');
  await applyLayer(
    dribble(await makeTar([
      { name: 'etc/', type: 'directory', mode: 0o750 },
      { name: 'etc/x', body: 'x' },
      { name: 'usr/bin/ls', body: 'ls', mode: 0o755 },
      { name: 'keep/', type: 'directory', mode: 0o711 },
      { name: 'keep/new', body: 'new' },
      { name: 'f/', type: 'directory', mode: 0o755 },
    ])),
    dest,
  );
  assert.deepEqual((await fsp.readdir(dest)).sort(), ['etc', 'f', 'keep', 'usr']);
  assert.equal((await fsp.stat(path.join(dest, 'etc'))).mode & 0o7777, 0o750);
  assert.equal(await fsp.readFile(path.join(dest, 'usr/bin/ls'), 'utf8'), 'ls');
  assert.equal((await fsp.stat(path.join(dest, 'keep'))).mode & 0o7777, 0o711);
  assert.deepEqual((await fsp.readdir(path.join(dest, 'keep'))).sort(), ['new', 'old']);
  assert.ok((await fsp.stat(path.join(dest, 'f'))).isDirectory());
  // The flag only exists on ext2/3/4 (stat -f says "ext2/ext3" for all of them).
  if (execFileSync('stat', ['-f', '-c', '%T', dest], { encoding: 'utf8' }).trim() === 'ext2/ext3') {
    const flags = execFileSync('lsattr', ['-d', dest], { encoding: 'utf8' }).split(' ')[0]!;
    assert.match(flags, /T/, `lsattr: ${flags}`);
  }
});

test('diffDirectory: byte order, whiteouts, opaque dirs, fifos kept and sockets skipped, big files across chunks, deterministic', async (t) => {
  const root = await tmpRoot(t);
  const dir = path.join(root, 'up');
  await fsp.mkdir(path.join(dir, 'opq/sub'), { recursive: true });
  for (const n of ['b', 'B', 'a', 'é', 'z', '_']) await fsp.writeFile(path.join(dir, n), n);
  native.mknod(path.join(dir, 'gone'), native.S_IFCHR, 0, 0);
  native.setxattr(path.join(dir, 'opq'), 'trusted.overlay.opaque', Buffer.from('y'));
  native.setxattr(path.join(dir, 'opq'), 'trusted.overlay.origin', Buffer.from('overlay internals'));
  native.mknod(path.join(dir, 'fifo'), native.S_IFIFO | 0o644, 0, 0);
  const big = Buffer.alloc(3 * 1024 * 1024 + 77);
  for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
  await fsp.writeFile(path.join(dir, 'opq/sub/big'), big);
  await fsp.writeFile(path.join(dir, 'opq/sub/empty'), '');
  await fsp.mkdir(path.join(dir, 'emptydir'));
  const sock = path.join(dir, 'sock');
  const server = net.createServer().listen(sock);
  t.after(() => server.close());
  await new Promise((r) => server.once('listening', r));

  const skipped: string[] = [];
  const t1 = await collect(dir, (rel, reason) => skipped.push(`${rel} ${reason}`));
  assert.deepEqual(skipped.sort(), ['sock socket']);
  assert.equal(sha(t1), sha(await collect(dir)), 'deterministic');
  const entries = await readTar(once(t1));
  assert.deepEqual(entries.map((e) => `${e.type} ${e.name}`), [
    'file B', 'file _', 'file a', 'file b', 'directory emptydir/', 'fifo fifo', 'file .wh.gone',
    'directory opq/', 'file opq/.wh..wh..opq', 'directory opq/sub/', 'file opq/sub/big', 'file opq/sub/empty', 'file z', 'file é',
  ]);
  assert.deepEqual(entries.find((e) => e.name === 'opq/sub/big')!.body, big);
  assert.equal(entries.find((e) => e.name === 'opq/')!.pax, null, 'overlay xattrs are not part of a layer');
  // GNU tar agrees with the archive, and a re-apply gives the same overlay form.
  execFileSync('tar', ['-tf', '-'], { input: t1 });
  const again = path.join(root, 'again');
  await fsp.mkdir(again);
  await applyLayer(once(t1), again);
  assert.ok((await fsp.lstat(path.join(again, 'gone'))).isCharacterDevice());
  assert.equal(native.getxattr(path.join(again, 'opq'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.deepEqual(await fsp.readFile(path.join(again, 'opq/sub/big')), big);
});

test('a tree committed with diffDirectory extracts with GNU tar to the same tree (names past 100 bytes, hardlinks, modes)', async (t) => {
  const root = await tmpRoot(t);
  const src = path.join(root, 'src');
  const deep = path.join(src, 'x'.repeat(120), 'y'.repeat(120));
  await fsp.mkdir(deep, { recursive: true });
  await fsp.writeFile(path.join(deep, 'z'.repeat(140)), 'deep');
  await fsp.writeFile(path.join(src, 'setgid'), 'g');
  await fsp.chmod(path.join(src, 'setgid'), 0o2755);
  await fsp.link(path.join(src, 'setgid'), path.join(src, 'x'.repeat(120), 'hard'));
  await fsp.symlink('q'.repeat(200), path.join(src, 'dangling'));
  const blob = await collect(src);
  const out = path.join(root, 'out');
  await fsp.mkdir(out);
  execFileSync('tar', ['-xf', '-', '-C', out], { input: blob });
  execFileSync('diff', ['-r', '--no-dereference', src, out]);
  assert.deepEqual(await listTree(out), await listTree(src));
  assert.equal((await fsp.stat(path.join(out, 'setgid'))).nlink, 2);
});

test('the native diskUsage counts as util/du does; a missing directory is an error value, not a crash', async (t) => {
  const root = await tmpRoot(t);
  await fsp.mkdir(path.join(root, 'd/e'), { recursive: true });
  await fsp.writeFile(path.join(root, 'd/e/f'), 'x'.repeat(1000));
  await fsp.link(path.join(root, 'd/e/f'), path.join(root, 'd/g'));
  await fsp.symlink('target', path.join(root, 'd/s'));
  assert.deepEqual(await native.diskUsage(root), await jsDiskUsage(root));
  await assert.rejects(native.diskUsage(path.join(root, 'nope')), (e: unknown) => e instanceof native.NativeCallError && e.errno === 2);
  await assert.rejects(collect(path.join(root, 'nope')), (e: unknown) => e instanceof native.NativeCallError && e.errno === 2);
  await assert.rejects(applyLayer(once(Buffer.alloc(1024)), path.join(root, 'nope')), /ENOENT/);
});

test('one call at a time per handle: a second write while one runs is EBUSY, and the handle stays usable', async (t) => {
  const root = await tmpRoot(t);
  const tarBuf = await makeTar([{ name: 'f', body: 'x'.repeat(100000) }]);
  const applier = new native.NativeLayerApplier(root, { sameOwner: false });
  try {
    const first = applier.write([tarBuf.subarray(0, 50000)]);
    await assert.rejects(applier.write([tarBuf.subarray(50000)]), (e: unknown) => e instanceof native.NativeCallError && e.errno === 16);
    await first;
    await applier.write([tarBuf.subarray(50000)]);
    const usage = await applier.finish();
    assert.equal(usage.size, 100000);
  } finally {
    applier.close();
  }
  assert.equal((await fsp.readFile(path.join(root, 'f'))).length, 100000);
});
