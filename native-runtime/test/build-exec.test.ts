// The build executor end to end on real builds: Docker's progress lines, history and layers, the
// cache (hits, restart, mtime, content change, nocache), whiteouts, multi-stage, COPY/ADD semantics,
// RUN isolation, live output, pruneBuilder.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createGunzip } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Berth } from '../src/index.ts';
import { makeEnv, sh, type TestEnv } from './berth-helpers.ts';
import { build, contextTar, ok, type ContextFiles } from './build-exec-helpers.ts';
import { readTar } from './layers-helpers.ts';
import { DOCKER_API_FIXTURES } from './support/fixtures.ts';

let env: TestEnv;
let b: Berth;

before(async () => {
  env = makeEnv('bexec');
  b = env.berth;
  await b.ping();
});
after(async () => {
  await env.cleanup();
});

const BT = 'FROM busybox\nRUN echo a > /a\nCOPY f.txt /f.txt\nENV X=1\nWORKDIR /w\nCMD ["cat", "/a"]\n';

/** Container events seen while fn runs. */
async function containerEvents(fn: () => Promise<unknown>): Promise<string[]> {
  const ev = await b.getEvents({ filters: { type: ['container'] } });
  const seen: string[] = [];
  ev.on('data', (c: Buffer) => {
    for (const l of c.toString().split('\n').filter(Boolean)) seen.push((JSON.parse(l) as { Action: string }).Action);
  });
  await fn();
  await new Promise((r) => setTimeout(r, 100));
  ev.destroy();
  return seen;
}

async function layerEntries(imageRef: string, index: number): Promise<string[]> {
  const c = await b.ready();
  const rec = await c.stores.images.get(imageRef);
  const blob = await c.stores.content.readStream(rec.layers[index]!.digest);
  const entries = await readTar(blob.pipe(createGunzip()));
  return entries.map((e) => e.name);
}

/** Shape of a line list with IDs blanked, to compare with Docker's output. */
const shape = (text: string): string[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/[0-9a-f]{12}/g, '<id>'));

describe('build executor', () => {
  test('the 5-step build: Docker\'s lines, history, layers and image config', async () => {
    const r = await build(b, { Dockerfile: BT, 'f.txt': 'hello world' }, { t: 'bt' });
    const id = ok(r);
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    // Docker runs a container for ENV/WORKDIR/CMD too; Berth does not (docs/builder.md), so those
    // two lines are the only difference from the captured output.
    const docker = shape(fs.readFileSync(`${DOCKER_API_FIXTURES}/docker_build_cold_output.txt`, 'utf8'))
      .slice(1)
      .filter((l, i, all) => !(/^( ---> Running in|Removing intermediate)/.test(l) && !/RUN/.test(all.slice(0, i).reverse().find((x) => x.startsWith('Step')) ?? '')));
    assert.deepEqual(shape(r.text), docker);
    assert.ok(r.lines.every((l) => Object.keys(l).length === 1), 'one member per line');
    assert.deepEqual(r.lines.at(-3), { aux: { ID: id } });

    const hist = await b.getImage('bt').history();
    const fx = JSON.parse(fs.readFileSync(`${DOCKER_API_FIXTURES}/api_images_bt_history.json`, 'utf8')) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(hist[0]!).sort(), Object.keys(fx[0]!).sort());
    const mine = hist.slice(0, 5).map((h) => [h.CreatedBy.replace(/file:[0-9a-f]{64}/, 'file:<h>'), h.Size]);
    const theirs = fx.slice(0, 5).map((h) => [String(h.CreatedBy).replace(/file:[0-9a-f]{64}/, 'file:<h>'), h.Size]);
    assert.deepEqual(mine, theirs);
    assert.deepEqual(hist[0]!.Tags, ['bt:latest']);
    assert.ok(hist.slice(0, 5).every((h) => h.Id.startsWith('sha256:')), 'every step is an image');

    const inspect = await b.getImage('bt').inspect();
    const base = await b.getImage('busybox').inspect();
    // layers = base layers + RUN + COPY + WORKDIR (it created /w)
    assert.equal(inspect.RootFS.Layers!.length, base.RootFS.Layers!.length + 3);
    assert.deepEqual(inspect.Config!.Cmd, ['cat', '/a']);
    assert.equal(inspect.Config!.WorkingDir, '/w');
    assert.deepEqual(inspect.Config!.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'X=1']);
    assert.deepEqual(inspect.ContainerConfig!.Cmd, ['/bin/sh', '-c', '#(nop) ', 'CMD ["cat" "/a"]']);
    assert.equal(inspect.Parent, hist[1]!.Id);
    assert.equal(inspect.Size, base.Size + 2 + 11);
    // the layer holds exactly what the step wrote
    assert.deepEqual(await layerEntries('bt', base.RootFS.Layers!.length), ['a']);
    assert.deepEqual(await layerEntries('bt', base.RootFS.Layers!.length + 1), ['f.txt']);
    assert.deepEqual(await layerEntries('bt', base.RootFS.Layers!.length + 2), ['w/']);

    const run = await sh(b, 'cat /a /f.txt; echo; pwd; echo $X', { Image: 'bt' });
    assert.equal(run.stdout, 'a\nhello world\n/w\n1\n');
  });

  test('a second build is all cache hits, the same ID, and starts no container', async () => {
    const first = ok(await build(b, { Dockerfile: BT, 'f.txt': 'hello world' }, { t: 'bt' }));
    let second!: Awaited<ReturnType<typeof build>>;
    const events = await containerEvents(async () => {
      second = await build(b, { Dockerfile: BT, 'f.txt': 'hello world' }, { t: 'bt' });
    });
    assert.equal(ok(second), first);
    assert.deepEqual(events, []);
    const docker = shape(fs.readFileSync(`${DOCKER_API_FIXTURES}/docker_build_cached_output.txt`, 'utf8')).slice(1);
    assert.deepEqual(shape(second.text), docker);
  });

  test('touching mtime still hits; changing content misses from that step on', async () => {
    const a = ok(await build(b, { Dockerfile: BT, 'f.txt': { body: 'hello world', mtime: new Date(1_600_000_000_000) } }));
    const touched = await build(b, { Dockerfile: BT, 'f.txt': { body: 'hello world', mtime: new Date(1_700_000_000_000) } });
    assert.equal(ok(touched), a);
    assert.equal((touched.text.match(/Using cache/g) ?? []).length, 5);
    const changed = await build(b, { Dockerfile: BT, 'f.txt': 'hello there' });
    assert.notEqual(ok(changed), a);
    // RUN (step 2) hits; COPY and everything after it run again
    assert.equal((changed.text.match(/Using cache/g) ?? []).length, 1);
    assert.match(changed.text, /Step 2\/6 : RUN echo a > \/a\n ---> Using cache\n/);
    assert.doesNotMatch(changed.text.slice(changed.text.indexOf('Step 3/6')), /Using cache/);
  });

  test('nocache runs every step; the cache survives a restart', async () => {
    const files = { Dockerfile: 'FROM busybox\nRUN echo restart > /r\n', x: 'y' };
    const a = await build(b, files);
    ok(a);
    const n = await build(b, files, { nocache: true });
    assert.doesNotMatch(n.text, /Using cache/);
    assert.match(n.text, /Running in/);
    const other = env.open();
    await b.close();
    try {
      const again = await build(other, files, { nocache: false });
      assert.match(again.text, /Using cache/);
      assert.equal(ok(again), n.id);
    } finally {
      await other.close();
      b = env.open();
      await b.ping();
    }
  });

  test('a file deleted in a later RUN is a whiteout in that layer and absent in a container', async () => {
    const id = ok(await build(b, { Dockerfile: 'FROM busybox\nRUN mkdir -p /d && echo 1 > /d/gone && echo 2 > /d/kept\nRUN rm /d/gone\n' }, { t: 'wh' }));
    const inspect = await b.getImage(id).inspect();
    const last = inspect.RootFS.Layers!.length - 1;
    assert.deepEqual(await layerEntries('wh', last), ['d/', 'd/.wh.gone']);
    const r = await sh(b, 'ls /d', { Image: 'wh' });
    assert.equal(r.stdout, 'kept\n');
  });

  test('RUN: output is streamed live, network is none unless asked, a no-op RUN is an empty layer', async () => {
    const r = await build(b, {
      Dockerfile: 'FROM busybox\nRUN echo first; sleep 0.3; echo second >&2\nRUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "\nRUN true\n',
    });
    const id = ok(r);
    const texts = r.lines.map((l) => l.stream as string);
    const i1 = texts.indexOf('first\n');
    const i2 = texts.indexOf('second\n');
    assert.ok(i1 > 0 && i2 > i1, `separate chunks for live output: ${JSON.stringify(texts)}`);
    assert.match(r.text, /Running in [0-9a-f]{12}\nlo\nRemoving intermediate/);
    const hist = await b.getImage(id).history();
    assert.equal(hist[0]!.CreatedBy, '/bin/sh -c true');
    assert.equal(hist[0]!.Size, 0);
    const inspect = await b.getImage(id).inspect();
    const base = await b.getImage('busybox').inspect();
    assert.equal(inspect.RootFS.Layers!.length, base.RootFS.Layers!.length, 'none of the RUNs changed the filesystem');
    assert.ok(hist.slice(0, 3).every((h) => h.Size === 0));
  });

  test('ARG and --build-arg, ENV substitution, history prefix', async () => {
    const r = await build(
      b,
      { Dockerfile: 'ARG BASE=busybox\nFROM $BASE\nARG WHO=world\nENV GREETING="hello ${WHO}"\nRUN echo "$GREETING" > /g\nLABEL who=$WHO\n' },
      { buildargs: { WHO: 'berth', UNUSED: 'x' } },
    );
    const id = ok(r);
    assert.match(r.text, /^Step 1\/6 : ARG BASE=busybox\nStep 2\/6 : FROM \$BASE\n ---> [0-9a-f]{12}\nStep 3\/6 : ARG WHO=world\n/);
    assert.match(r.text, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
    const hist = await b.getImage(id).history();
    assert.equal(hist[1]!.CreatedBy, '|1 WHO=berth /bin/sh -c echo "$GREETING" > /g');
    assert.equal(hist[0]!.CreatedBy, '/bin/sh -c #(nop)  LABEL who=berth');
    assert.equal((await sh(b, 'cat /g', { Image: id })).stdout, 'hello berth\n');
  });

  test('multi-stage: COPY --from=builder, and --target stops early', async () => {
    const files = {
      Dockerfile:
        'FROM busybox AS builder\nRUN mkdir /out && echo built > /out/artifact\nFROM busybox\nCOPY --from=builder /out/artifact /app/\nCOPY --from=0 /out /out2\nRUN cat /app/artifact /out2/artifact\n',
    };
    const r = await build(b, files, { t: 'ms' });
    ok(r);
    assert.match(r.text, /built\nbuilt\n/);
    assert.equal((await sh(b, 'cat /app/artifact', { Image: 'ms' })).stdout, 'built\n');
    const t = await build(b, files, { target: 'builder', t: 'ms-builder' });
    ok(t);
    assert.match(t.text, /Step 2\/2 : RUN mkdir/);
    assert.doesNotMatch(t.text, /COPY --from/);
    assert.equal((await sh(b, 'cat /out/artifact; ls /app 2>&1 || true', { Image: 'ms-builder' })).stdout, 'built\nls: /app: No such file or directory\n');
    const bad = await build(b, files, { target: 'nope' });
    assert.match(bad.error!, /target stage "nope" could not be found/);
  });

  test('COPY/ADD semantics: dir contents, trailing /, wildcards, --chown by name, --chmod, ADD tar', async () => {
    const inner = await contextTar({ 'x/': { type: 'directory' }, 'x/in.txt': 'from tar' });
    const gz = execFileSync('gzip', ['-c'], { input: inner });
    const bz = execFileSync('bzip2', ['-c'], { input: inner });
    const xz = execFileSync('xz', ['-c'], { input: inner });
    const files: ContextFiles = {
      Dockerfile: [
        'FROM busybox',
        // Debian's busybox-static has no addgroup/adduser applets: create the account by hand
        "RUN echo 'app:x:1500:' >> /etc/group && echo 'app:x:1500:1500::/home/app:/bin/sh' >> /etc/passwd",
        'COPY dir /copied',
        'COPY dir/ /copied2/',
        'COPY a.txt /f/',
        'COPY a.txt /renamed',
        'COPY *.md /docs/',
        'COPY --chown=app:app a.txt /owned',
        'COPY --chmod=0751 a.txt /mode',
        'ADD t.tar.gz /gz/',
        'ADD t.tar.bz2 /bz/',
        'ADD t.tar.xz /xz',
        'COPY t.tar.gz /notextracted/',
        'WORKDIR /rel',
        'COPY a.txt .',
        'RUN find /copied /copied2 /f /renamed /docs /gz /bz /xz /notextracted /rel | sort && stat -c "%U:%G %a" /owned /mode /copied/sub/deep.txt && ls -ld /copied | cut -c1-10',
      ].join('\n'),
      'dir/': { type: 'directory', mode: 0o750 },
      'dir/top.txt': 'top',
      'dir/sub/': { type: 'directory' },
      'dir/sub/deep.txt': { body: 'deep', mode: 0o600, uid: 1234, gid: 1234 },
      'dir/link': { type: 'symlink', linkname: 'top.txt' },
      'a.txt': 'a',
      'one.md': '1',
      'two.md': '2',
      't.tar.gz': gz,
      't.tar.bz2': bz,
      't.tar.xz': xz,
    };
    const r = await build(b, files);
    ok(r);
    const listing = [
      '/bz', '/bz/x', '/bz/x/in.txt', '/copied', '/copied/link', '/copied/sub', '/copied/sub/deep.txt', '/copied/top.txt',
      '/copied2', '/copied2/link', '/copied2/sub', '/copied2/sub/deep.txt', '/copied2/top.txt', '/docs', '/docs/one.md', '/docs/two.md',
      '/f', '/f/a.txt', '/gz', '/gz/x', '/gz/x/in.txt', '/notextracted', '/notextracted/t.tar.gz', '/rel', '/rel/a.txt', '/renamed',
      '/xz', '/xz/x', '/xz/x/in.txt',
    ];
    assert.ok(r.text.includes(listing.join('\n') + '\n'), r.text);
    assert.match(r.text, /app:app 644\nroot:root 751\nroot:root 600\ndrwxr-x---\n/);
    const multi = await build(b, { Dockerfile: 'FROM busybox\nCOPY one.md two.md /nodir\n', 'one.md': '1', 'two.md': '2' });
    assert.match(multi.error!, /^Dockerfile:2: COPY failed: When using COPY with more than one source file, the destination must be a directory and end with a \//);
    const chown = await build(b, { Dockerfile: 'FROM busybox\nCOPY --chown=nobodyhere a /a\n', a: 'a' });
    assert.match(chown.error!, /^Dockerfile:2: COPY failed: can't find uid for user nobodyhere/);
  });

  test('.dockerignore, a Dockerfile elsewhere, a gzip context, labels, quiet', async () => {
    const files = {
      'build/Custom': 'FROM busybox\nCOPY . /ctx/\nRUN find /ctx | sort\n',
      '.dockerignore': 'secret*\n**/*.log\n!keep.log\n',
      'secret.txt': 's',
      'app/debug.log': 'x',
      'keep.log': 'k',
      'app/main.c': 'int main(){}',
    };
    const tar = await contextTar(files);
    const r = await build(b, execFileSync('gzip', ['-c'], { input: tar }), { dockerfile: 'build/Custom', labels: { 'org.x': 'y' } });
    const id = ok(r);
    assert.match(r.text, /\/ctx\n\/ctx\/\.dockerignore\n\/ctx\/app\n\/ctx\/app\/main\.c\n\/ctx\/build\n\/ctx\/build\/Custom\n\/ctx\/keep\.log\n/);
    assert.match(r.text, /Step 4\/4 : LABEL "org.x"='y'/);
    assert.equal((await b.getImage(id).inspect()).Config!.Labels!['org.x'], 'y');
    const q = await build(b, execFileSync('gzip', ['-c'], { input: tar }), { dockerfile: 'build/Custom', q: true });
    // -q: only the aux ID (which the CLI reads) and the ID as text
    assert.equal(q.lines.length, 2, JSON.stringify(q.lines));
    assert.equal(q.lines[1]!.stream, `${q.id}\n`);
  });

  test('pruneBuilder frees intermediate images no tagged image uses', async () => {
    ok(await build(b, { Dockerfile: 'FROM busybox\nRUN echo prune-me > /p\nENV P=1\n' }));
    const kept = ok(await build(b, { Dockerfile: 'FROM busybox\nRUN echo keep-me > /k\n' }, { t: 'keepme' }));
    const before = await b.listImages({ all: true });
    const rep = await b.pruneBuilder();
    assert.ok(rep.CachesDeleted.length >= 2, JSON.stringify(rep));
    assert.ok(rep.SpaceReclaimed > 0);
    const after = await b.listImages({ all: true });
    assert.ok(after.length < before.length);
    assert.ok(after.some((i) => i.Id === kept));
    for (const t of ['bt', 'wh', 'ms', 'keepme', 'busybox']) await b.getImage(t).inspect();
    assert.equal((await sh(b, 'cat /k', { Image: 'keepme' })).stdout, 'keep-me\n');
    // an untagged build's cache is gone: building it again runs the RUN
    const again = await build(b, { Dockerfile: 'FROM busybox\nRUN echo prune-me > /p\nENV P=1\n' });
    assert.match(again.text, /Running in/);
  });
});
