// Build context: compression detection (gzip, bzip2, xz via the system tools), hostile tars,
// .dockerignore, source resolution with escape refusal, and the content hash.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ContextError, readContext, resolveSources, SourceError, checkDestination, matchPath, hashEntry } from '../src/builder/context/index.ts';
import { makeTar, tmpRoot, type TarEntry } from './layers-helpers.ts';

const DF = { name: 'Dockerfile', body: 'FROM busybox\nCOPY . /app\n', mode: 0o644 };

async function ctxFrom(t: Parameters<typeof tmpRoot>[0], data: Buffer, opts: Parameters<typeof readContext>[1] = {}) {
  const tmp = await tmpRoot(t);
  const ctx = await readContext(Readable.from([data]), { tmpParent: tmp, ...opts });
  t.after(() => ctx.cleanup());
  return ctx;
}

function compress(cmd: string, data: Buffer): Buffer {
  return execFileSync(cmd, ['-c'], { input: data });
}

const ENTRIES: TarEntry[] = [DF, { name: 'dir/', type: 'directory', mode: 0o755 }, { name: 'dir/a.txt', body: 'A', mode: 0o644 }];

for (const kind of ['none', 'gzip', 'bzip2', 'xz'] as const) {
  test(`context tar: ${kind}`, async (t) => {
    const tarBuf = await makeTar(ENTRIES);
    let data = tarBuf;
    if (kind === 'gzip') data = gzipSync(tarBuf);
    if (kind === 'bzip2' || kind === 'xz') {
      const tool = kind === 'bzip2' ? 'bzip2' : 'xz';
      if (!['/usr/bin/' + tool, '/bin/' + tool].some(existsSync)) return t.skip(`${tool} not installed`);
      data = compress(tool, tarBuf);
    }
    const ctx = await ctxFrom(t, data);
    assert.equal(ctx.compression, kind);
    assert.equal(ctx.dockerfile.toString(), DF.body);
    assert.equal(await fsp.readFile(path.join(ctx.dir, 'dir/a.txt'), 'utf8'), 'A');
    assert.equal(ctx.tarSize, tarBuf.length);
  });
}

test('corrupt bzip2 context fails with the tool error', async (t) => {
  const tmp = await tmpRoot(t);
  await assert.rejects(readContext(Readable.from([Buffer.from('BZh9 this is not bzip2 data at all......')]), { tmpParent: tmp }), (e: unknown) => e instanceof ContextError && /bzip2 -dc failed/.test(e.message));
});

test('missing Dockerfile, lowercase fallback, custom -f path', async (t) => {
  const tmp = await tmpRoot(t);
  await assert.rejects(readContext(Readable.from([await makeTar([{ name: 'x', body: 'y' }])]), { tmpParent: tmp }), /Cannot locate specified Dockerfile: Dockerfile/);
  const lower = await ctxFrom(t, await makeTar([{ name: 'dockerfile', body: 'FROM a\n' }]));
  assert.equal(lower.dockerfilePath, 'dockerfile');
  const custom = await ctxFrom(t, await makeTar([{ name: 'build/app.df', body: 'FROM b\n' }]), { dockerfile: 'build/app.df' });
  assert.equal(custom.dockerfile.toString(), 'FROM b\n');
  await assert.rejects(readContext(Readable.from([await makeTar([{ name: 'Dockerfile', body: '' }])]), { tmpParent: tmp }), /cannot be empty/);
});

const HOSTILE: Array<[string, TarEntry[], RegExp]> = [
  ['dot-dot entry', [DF, { name: '../evil', body: 'x' }], /\.\./],
  ['nested dot-dot', [DF, { name: 'a/../../evil', body: 'x' }], /\.\./],
  ['write below a symlink', [DF, { name: 'link', type: 'symlink', linkname: '/tmp' }, { name: 'link/evil', body: 'x' }], /below symlink/],
  ['write below a relative symlink out', [DF, { name: 'up', type: 'symlink', linkname: '../../..' }, { name: 'up/etc/evil', body: 'x' }], /below symlink/],
  ['hardlink to an outside file', [DF, { name: 'h', type: 'link', linkname: '/etc/passwd' }], /hardlink target/],
  ['hardlink with dot-dot', [DF, { name: 'h', type: 'link', linkname: '../x' }], /\.\./],
  ['device node', [DF, { name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 }], /refusing character-device/],
];

for (const [name, entries, re] of HOSTILE) {
  test(`hostile context refused: ${name}`, async (t) => {
    const tmp = await tmpRoot(t);
    const before = await fsp.readdir(tmp);
    await assert.rejects(readContext(Readable.from([await makeTar(entries)]), { tmpParent: tmp }), (e: unknown) => e instanceof ContextError && re.test(e.message));
    // the temp dir is removed and nothing was written next to it
    assert.deepEqual(await fsp.readdir(tmp), before);
    assert.ok(!existsSync(path.join(tmp, 'evil')));
  });
}

test('.dockerignore is applied; Dockerfile and .dockerignore are read, then removed when excluded', async (t) => {
  const ctx = await ctxFrom(
    t,
    await makeTar([
      { name: 'Dockerfile', body: 'FROM a\n' },
      { name: '.dockerignore', body: '# ignore\n*.log\nnode_modules\ndocs\n!docs/keep.md\nDockerfile\n.dockerignore\n' },
      { name: 'app.js', body: 'js' },
      { name: 'debug.log', body: 'log' },
      { name: 'sub/debug.log', body: 'kept: *.log is root-only' },
      { name: 'node_modules/x/index.js', body: 'x' },
      { name: 'docs/keep.md', body: 'keep' },
      { name: 'docs/drop.md', body: 'drop' },
    ]),
  );
  assert.equal(ctx.dockerfile.toString(), 'FROM a\n');
  assert.equal(ctx.ignorePatterns.length, 6);
  const list = async (d: string, base = ''): Promise<string[]> => {
    const out: string[] = [];
    for (const e of (await fsp.readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = base ? `${base}/${e.name}` : e.name;
      if (e.isDirectory()) out.push(...(await list(path.join(d, e.name), rel)));
      else out.push(rel);
    }
    return out;
  };
  assert.deepEqual(await list(ctx.dir), ['app.js', 'docs/keep.md', 'sub/debug.log']);
});

async function contextWith(t: Parameters<typeof tmpRoot>[0], entries: TarEntry[]) {
  return ctxFrom(t, await makeTar([DF, ...entries]));
}

test('resolveSources: files, dirs, wildcards, ./ and / prefixes', async (t) => {
  const ctx = await contextWith(t, [
    { name: 'app.js', body: 'a' },
    { name: 'lib/', type: 'directory', mode: 0o755 },
    { name: 'lib/x.js', body: 'x' },
    { name: 'lib/y.ts', body: 'y' },
    { name: 'b.js', body: 'b' },
  ]);
  const one = await resolveSources(ctx.dir, ['./app.js'], { owners: ctx.owners });
  assert.equal(one.infos.length, 1);
  assert.match(one.hash, /^file:[0-9a-f]{64}$/);
  const dir = await resolveSources(ctx.dir, ['/lib'], { owners: ctx.owners });
  assert.equal(dir.infos[0]!.type, 'dir');
  assert.match(dir.hash, /^dir:[0-9a-f]{64}$/);
  const wild = await resolveSources(ctx.dir, ['*.js'], { owners: ctx.owners });
  assert.deepEqual(wild.infos.map((i) => i.rel), ['app.js', 'b.js']);
  assert.match(wild.hash, /^multi:[0-9a-f]{64}$/);
  const deep = await resolveSources(ctx.dir, ['lib/*.js'], { owners: ctx.owners });
  assert.deepEqual(deep.infos.map((i) => i.rel), ['lib/x.js']);
  const all = await resolveSources(ctx.dir, ['.'], { owners: ctx.owners });
  assert.equal(all.infos[0]!.rel, '');
  await assert.rejects(resolveSources(ctx.dir, ['*.none']), (e: unknown) => e instanceof SourceError && e.message === 'no source files were specified');
  assert.throws(() => checkDestination('COPY', wild.infos, '/app'), /When using COPY with more than one source file, the destination must be a directory and end with a \//);
  checkDestination('COPY', wild.infos, '/app/');
});

test('resolveSources: missing file has Docker\'s wording', async (t) => {
  const ctx = await contextWith(t, []);
  await assert.rejects(resolveSources(ctx.dir, ['app.js']), (e: unknown) =>
    e instanceof SourceError && e.code === 'NOT_FOUND' && e.message === 'file not found in build context or excluded by .dockerignore: stat app.js: file does not exist');
  await assert.rejects(resolveSources(ctx.dir, ['app.js'], { fromImage: true, symlinks: 'scope' }), /^SourceError: stat app.js: file does not exist$|stat app.js: file does not exist/);
});

test('resolveSources: escapes are refused (../, symlinks pointing out), symlinks inside are followed', async (t) => {
  const ctx = await contextWith(t, [
    { name: 'real.txt', body: 'real' },
    { name: 'inside', type: 'symlink', linkname: 'real.txt' },
    { name: 'abs', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'up', type: 'symlink', linkname: '../../../etc' },
    { name: 'sub/', type: 'directory' },
    { name: 'sub/uplink', type: 'symlink', linkname: '../real.txt' },
  ]);
  const forbidden = (e: unknown): boolean => e instanceof SourceError && e.code === 'FORBIDDEN' && e.message.startsWith('forbidden path outside the build context: ');
  await assert.rejects(resolveSources(ctx.dir, ['../x']), (e: unknown) => forbidden(e) && (e as Error).message.startsWith('forbidden path outside the build context: ../x ('));
  await assert.rejects(resolveSources(ctx.dir, ['sub/../../x']), forbidden);
  await assert.rejects(resolveSources(ctx.dir, ['abs']), forbidden);
  await assert.rejects(resolveSources(ctx.dir, ['up/passwd']), forbidden);
  await assert.rejects(resolveSources(ctx.dir, ['../*']), forbidden);
  const via = await resolveSources(ctx.dir, ['inside']);
  const real = await resolveSources(ctx.dir, ['real.txt']);
  assert.equal(via.infos[0]!.rel, 'real.txt');
  assert.equal(via.hash, real.hash, 'a symlink source hashes as its target, as Docker does');
  assert.equal((await resolveSources(ctx.dir, ['sub/uplink'])).infos[0]!.rel, 'real.txt');
  // an image rootfs: absolute links resolve inside the root
  const img = await tmpRoot(t);
  await fsp.mkdir(path.join(img, 'bin'));
  await fsp.writeFile(path.join(img, 'bin/busybox'), 'bb');
  await fsp.symlink('/bin/busybox', path.join(img, 'bin/sh'));
  assert.equal((await resolveSources(img, ['/bin/sh'], { symlinks: 'scope', fromImage: true })).infos[0]!.rel, 'bin/busybox');
});

test('content hash: ignores mtime; changes with content, mode, name, owner and link targets', async (t) => {
  const base: TarEntry[] = [
    { name: 'd/', type: 'directory', mode: 0o755 },
    { name: 'd/f', body: 'hello', mode: 0o644, uid: 0, gid: 0 },
    { name: 'd/l', type: 'symlink', linkname: 'f' },
  ];
  const hashOf = async (entries: TarEntry[], src = 'd'): Promise<string> => {
    const ctx = await contextWith(t, entries);
    return (await resolveSources(ctx.dir, [src], { owners: ctx.owners })).hash;
  };
  const h0 = await hashOf(base);
  assert.equal(await hashOf(base), h0, 'stable');
  const touched = base.map((e) => ({ ...e, mtime: new Date(1800000000000) }));
  assert.equal(await hashOf(touched), h0, 'mtime does not count');
  assert.notEqual(await hashOf([base[0]!, { ...base[1]!, body: 'hellO' }, base[2]!]), h0, 'content');
  assert.notEqual(await hashOf([base[0]!, { ...base[1]!, mode: 0o755 }, base[2]!]), h0, 'mode');
  assert.notEqual(await hashOf([base[0]!, { ...base[1]!, name: 'd/g' }, { ...base[2]!, linkname: 'g' }]), h0, 'name');
  assert.notEqual(await hashOf([base[0]!, { ...base[1]!, uid: 1000 }, base[2]!]), h0, 'owner');
  assert.notEqual(await hashOf([base[0]!, base[1]!, { ...base[2]!, linkname: 'other' }]), h0, 'symlink target');
  // a single file's mtime is not hashed either
  const f1 = await hashOf(base, 'd/f');
  assert.equal(await hashOf(touched, 'd/f'), f1);
});

test('the fixture file hash (tarsum v1 header + content)', async (t) => {
  const root = await tmpRoot(t);
  await fsp.writeFile(path.join(root, 'f.txt'), 'hello file\n', { mode: 0o644 });
  await fsp.chmod(path.join(root, 'f.txt'), 0o644);
  const owners = new Map([['f.txt', { uid: 0, gid: 0 }]]);
  assert.equal(await hashEntry(root, 'f.txt', owners), '3811227e22a0dc37012725ae573fe48e6ab02181aebba5bc060611388a315630');
});

test('filepath.Match semantics', () => {
  const rows: Array<[string, string, boolean]> = [
    ['*.js', 'a.js', true],
    ['*.js', 'dir/a.js', false],
    ['*/a.js', 'dir/a.js', true],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['[^a-c]x', 'dx', true],
    ['\\*x', '*x', true],
    ['a[', 'a[', false],
  ];
  for (const [p, n, want] of rows) {
    if (p === 'a[') assert.throws(() => matchPath(p, n), /syntax error in pattern/);
    else assert.equal(matchPath(p, n), want, `${p} ~ ${n}`);
  }
});
