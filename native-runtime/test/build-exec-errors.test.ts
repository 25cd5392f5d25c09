// Hostile and broken builds: every error names its line and instruction, and a failed or cancelled
// build leaves no image for the failed step, no tag, no container, no active snapshot, no mount.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Berth } from '../src/index.ts';
import { makeEnv, sleep, waitFor, type TestEnv } from './berth-helpers.ts';
import { build, contextTar, ok, type ContextFiles } from './build-exec-helpers.ts';
import { makeTar } from './layers-helpers.ts';

let env: TestEnv;
let b: Berth;

before(async () => {
  env = makeEnv('berr');
  b = env.berth;
  await b.ping();
});
after(async () => {
  await env.cleanup();
});

interface Leftovers {
  images: string[];
  active: string[];
  containers: number;
  mounts: string[];
  tmp: string[];
}

async function leftovers(): Promise<Leftovers> {
  const c = await b.ready();
  const mnt = path.join(env.root, 'build');
  return {
    images: (await c.stores.images.records()).map((r) => r.id).sort(),
    active: (await c.stores.snapshots.list()).filter((s) => s.kind !== 'committed').map((s) => s.key),
    containers: (await b.listContainers({ all: true })).length,
    mounts: fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(mnt)),
    tmp: fs.existsSync(path.join(mnt, 'tmp')) ? fs.readdirSync(path.join(mnt, 'tmp')) : [],
  };
}

/** Builds `files` expecting an error; checks that nothing but earlier steps' cache images remain. */
async function fails(files: ContextFiles | Buffer, re: RegExp, opts: { t?: string; newImages?: number } = {}): Promise<string> {
  const before = await leftovers();
  const r = await build(b, files, { t: opts.t ?? 'should-not-exist' });
  assert.ok(r.error, `expected an error, got:\n${r.text}`);
  assert.match(r.error, re);
  assert.equal(r.id, undefined, 'no image ID is reported');
  const last = r.lines.at(-1)!;
  assert.deepEqual(Object.keys(last).sort(), ['error', 'errorDetail'], 'the error is the last line');
  await assert.rejects(b.getImage(opts.t ?? 'should-not-exist').inspect(), /No such image/);
  const now = await leftovers();
  assert.deepEqual(now.active, []);
  assert.equal(now.containers, 0);
  assert.deepEqual(now.mounts, []);
  assert.deepEqual(now.tmp, []);
  assert.equal(now.images.length, before.images.length + (opts.newImages ?? 0), 'only the steps before the failure were added (cache)');
  return r.error;
}

describe('build errors', () => {
  test('COPY of a missing file names the line and the file', async () => {
    await fails(
      { Dockerfile: 'FROM busybox\n\n# comment\nENV A=1\n\nWORKDIR /app\nCOPY app.js /app/\n', 'other.js': 'x' },
      /^Dockerfile:7: COPY failed: file not found in build context or excluded by \.dockerignore: stat app\.js: file does not exist$/,
      { newImages: 2 },
    );
  });

  test('a file excluded by .dockerignore is not found either', async () => {
    await fails({ Dockerfile: 'FROM busybox\nCOPY secret.txt /\n', 'secret.txt': 's', '.dockerignore': 'secret.txt\n' }, /^Dockerfile:2: COPY failed: file not found in build context or excluded by \.dockerignore: stat secret\.txt/);
  });

  test('parse errors: unknown instruction, bad JSON form', async () => {
    await fails({ Dockerfile: 'FROM busybox\nRUN true\nCOPPY a b\n' }, /^dockerfile parse error on line 3: unknown instruction: COPPY/);
    await fails({ Dockerfile: 'FROM busybox\nENV A=1\nCMD ["a", 1]\n' }, /^dockerfile parse error on line 3: when using JSON array syntax, arrays must be comprised of strings only/);
  });

  test("RUN exiting non-zero: dockerd's errorDetail (code and message); the line and last output come before it", async () => {
    // Reference: dockerd 20.10's classic builder answers exactly
    // {"errorDetail":{"code":1,"message":"The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"…"}
    await fails({ Dockerfile: 'FROM busybox\nENV B=2\nRUN false\n' }, /^The command '\/bin\/sh -c false' returned a non-zero code: 1$/, { newImages: 1 });
    const before = await leftovers();
    const r = await build(b, { Dockerfile: 'FROM busybox\nRUN for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line$i; done; echo oops >&2; exit 3\n' });
    const cmd = "The command '/bin/sh -c for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo line$i; done; echo oops >&2; exit 3' returned a non-zero code: 3";
    assert.deepEqual(r.lines.at(-1), { errorDetail: { code: 3, message: cmd }, error: cmd });
    const context = r.lines.at(-2)!.stream as string;
    assert.match(context, /^Dockerfile:2: RUN for i in .* exit 3\nlast output:\n/);
    assert.match(context, /\n {2}line11\n {2}line12\n {2}oops\n$/);
    assert.doesNotMatch(context, /line1\n/);
    assert.equal((await leftovers()).containers, before.containers);
  });

  test('RUN of a missing program', async () => {
    await fails({ Dockerfile: 'FROM busybox\nRUN ["/no/such/binary"]\n' }, /^(Dockerfile:2: RUN failed: .*no such file|The command '\/no\/such\/binary' returned a non-zero code: 127)/i);
  });

  test('sources escaping the context are refused: ../, absolute and escaping symlinks', async () => {
    await fails({ Dockerfile: 'FROM busybox\nCOPY ../../etc/passwd /p\n' }, /^Dockerfile:2: COPY failed: forbidden path outside the build context: \.\.\/\.\.\/etc\/passwd/);
    await fails({ Dockerfile: 'FROM busybox\nCOPY evil /p\n', evil: { type: 'symlink', linkname: '/etc/shadow' } }, /^Dockerfile:2: COPY failed: forbidden path outside the build context: evil/);
    await fails({ Dockerfile: 'FROM busybox\nCOPY up/x /p\n', up: { type: 'symlink', linkname: '../../..' } }, /^Dockerfile:2: COPY failed: (forbidden path outside the build context|file not found)/);
  });

  test('a context tar that tries to escape is refused before anything runs', async () => {
    const tar = await makeTar([
      { name: 'Dockerfile', body: 'FROM busybox\n' },
      { name: '../escape.txt', body: 'x' },
    ]);
    await fails(tar, /refusing path with a "\.\." component/);
    assert.equal(fs.existsSync(path.join(env.root, 'build', 'escape.txt')), false);
  });

  test('no Dockerfile; an empty one', async () => {
    await fails({ 'a.txt': 'a' }, /Cannot locate specified Dockerfile: Dockerfile/);
    await fails({ Dockerfile: '# nothing\n' }, /file with no instructions/);
  });

  test('FROM an image that is not here, offline: the registry is not allowed', async () => {
    const old = process.env['BERTH_OFFLINE'];
    process.env['BERTH_OFFLINE'] = '1';
    const off = env.open({});
    await b.close();
    b = off;
    try {
      await fails({ Dockerfile: '\nFROM alpine:3.7\nRUN true\n' }, /^Dockerfile:2: alpine:3\.7: image not found locally and pulling it failed: registry docker\.io is not allowed \(offline mode\)/);
      // ADD <url>: refused before any connection
      await fails({ Dockerfile: 'FROM busybox\nADD https://example.com/x.tgz /x\n' }, /^Dockerfile:2: ADD failed: remote URL https:\/\/example\.com\/x\.tgz cannot be fetched: network access is off/);
      // loopback stays reachable offline: ADD of a URL on 127.0.0.1 works
      const srv = http.createServer((req, res) => {
        res.setHeader('Last-Modified', new Date(1_600_000_000_000).toUTCString());
        res.end(`served ${req.url}`);
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (srv.address() as { port: number }).port;
        const r = await build(b, { Dockerfile: `FROM busybox\nADD http://127.0.0.1:${port}/files/hello.txt /dl/\nRUN cat /dl/hello.txt; stat -c %a /dl/hello.txt\n` });
        ok(r);
        assert.match(r.text, /served \/files\/hello\.txt600\n/);
      } finally {
        srv.close();
      }
    } finally {
      if (old === undefined) delete process.env['BERTH_OFFLINE'];
      else process.env['BERTH_OFFLINE'] = old;
      await b.close();
      b = env.open();
      await b.ping();
    }
  });

  test('RUN on scratch, --platform of another architecture, a bad tag', async () => {
    await fails({ Dockerfile: 'FROM scratch\nRUN true\n' }, /^Dockerfile:2: The command '\/bin\/sh -c true' cannot run: the image has no filesystem yet/);
    await fails({ Dockerfile: 'FROM --platform=linux/s390x busybox\n' }, /line 1: platform "linux\/s390x" is not supported/);
    await assert.rejects(b.buildImage(Readable.from([await contextTar({ Dockerfile: 'FROM busybox\n' })]), { t: 'UPPER:case' }), (e: Error & { statusCode?: number }) => e.statusCode === 400);
  });

  test('destroying the stream stops a running RUN and cleans up', async () => {
    const tar = await contextTar({ Dockerfile: 'FROM busybox\nRUN echo started; sleep 60\n' });
    const s = await b.buildImage(Readable.from([tar]), { t: 'cancelled' });
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString()));
    await waitFor(() => text.includes('started') || undefined, 20000, 'the RUN to start');
    const t0 = Date.now();
    s.destroy();
    await waitFor(async () => ((await leftovers()).containers === 0 && (await leftovers()).active.length === 0) || undefined, 15000, 'cleanup');
    assert.ok(Date.now() - t0 < 15000);
    await sleep(200);
    const now = await leftovers();
    assert.deepEqual(now.mounts, []);
    assert.deepEqual(now.tmp, []);
    await assert.rejects(b.getImage('cancelled').inspect(), /No such image/);
  });
});
