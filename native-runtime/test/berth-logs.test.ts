// Logs through the facade: streams kept apart, follow, tail, timestamps, rotation, TTY.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { demux } from '../src/logs/format.ts';
import { makeEnv, runToExit, sh, type TestEnv } from './berth-helpers.ts';

let env: TestEnv;
before(() => {
  env = makeEnv('logs');
});
after(async () => {
  await env.cleanup();
});

describe('logs', () => {
  test('stdout and stderr are kept apart', async () => {
    const r = await sh(env.berth, 'echo out1; echo err1 >&2; echo out2');
    assert.equal(r.stdout, 'out1\nout2\n');
    assert.equal(r.stderr, 'err1\n');
  });

  test('follow streams until the container exits; tail and timestamps', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do echo line$i; sleep 0.1; done'] });
    await c.start();
    const stream = (await c.logs({ follow: true, stdout: true, stderr: true })) as Readable;
    const chunks: Buffer[] = [];
    for await (const ch of stream) chunks.push(ch as Buffer);
    assert.equal(demux(Buffer.concat(chunks)).stdout.toString(), [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `line${i}\n`).join(''));
    const tail = demux((await c.logs({ stdout: true, tail: 3 })) as Buffer).stdout.toString();
    assert.equal(tail, 'line6\nline7\nline8\n');
    const stamped = demux((await c.logs({ stdout: true, timestamps: true })) as Buffer).stdout.toString().trim().split('\n');
    const times = stamped.map((l) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z line\d$/.exec(l);
      assert.ok(m, l);
      return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt(m[2]!);
    });
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, 'timestamps increase');
    await c.remove();
  });

  test('a line written in two pieces is one record: since/until never cut it (as dockerd\'s copier)', async () => {
    // printf leaves "10" without a newline; "41" and the newline come 0.6 s later.
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'printf 10; sleep 0.6; echo 41; printf tail-without-newline'] });
    await c.start();
    const mid = Date.now() / 1000 + 0.3;
    await c.wait();
    const all = demux((await c.logs({ stdout: true })) as Buffer).stdout.toString();
    assert.equal(all, '1041\ntail-without-newline', 'the held start of the last line is written at exit');
    const before = demux((await c.logs({ stdout: true, until: mid })) as Buffer).stdout.toString();
    const after = demux((await c.logs({ stdout: true, since: mid })) as Buffer).stdout.toString();
    assert.equal(before, '', 'no half line before the newline came');
    assert.equal(after, '1041\ntail-without-newline');
    await c.remove();
  });

  test('rotation keeps at most max-file files', async () => {
    const r = await runToExit(
      env.berth,
      {
        Cmd: ['sh', '-c', 'i=0; while [ $i -lt 300 ]; do echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done'],
        HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '2k', 'max-file': '3' } } },
      },
      { keep: true },
    );
    assert.equal(r.code, 0);
    const files = fs.readdirSync(path.join(env.root, 'containers', r.id, 'log'));
    assert.ok(files.length >= 2 && files.length <= 3, files.join(','));
    assert.match(r.stdout, /line 299 x+\n$/);
    assert.doesNotMatch(r.stdout, /^line 0 /m, 'the oldest lines were rotated away');
    await env.berth.getContainer(r.id).remove();
  });

  test('a TTY container logs raw bytes', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Tty: true, Cmd: ['sh', '-c', 'echo tty-out; echo tty-err >&2'] });
    await c.start();
    await c.wait({ condition: 'not-running' });
    await new Promise((r) => setTimeout(r, 100));
    const raw = ((await c.logs({ stdout: true, stderr: true })) as Buffer).toString();
    assert.match(raw, /^tty-out\r\ntty-err\r\n$/);
    await c.remove();
  });
});
