// Attach to running containers: a Tty+OpenStdin shell, re-attach from a new Berth after the owner was
// SIGKILLed, StdinOnce half-close semantics (`echo hi | docker attach`), and attach before start.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demux } from '../src/logs/format.ts';
import { makeEnv, waitFor, type TestEnv } from './berth-helpers.ts';
import { childOwner, killHard, reader } from './berth-io-helpers.ts';

describe('attach', () => {
  let env: TestEnv;
  before(() => {
    env = makeEnv('attach');
  });
  after(async () => {
    await env.cleanup();
  });

  test('Tty + OpenStdin sh: type, read, resize, detach; the container keeps running', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh'], Tty: true, OpenStdin: true } as never);
    await c.start();
    const s = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const r = reader(s);
    s.write('echo $((6*7))\n');
    await r.until(/^42\r?$/m, '42');
    await c.resize({ h: 33, w: 91 });
    s.write('stty size\n');
    await r.until(/^33 91\r?$/m, 'resized tty');
    s.destroy(); // detach
    await new Promise((res) => setTimeout(res, 200));
    assert.equal((await c.inspect()).State.Status, 'running');
    const again = await c.attach({ stream: true, stdin: true, stdout: true });
    const r2 = reader(again);
    again.write('exit 6\n');
    await r2.ended;
    assert.equal((await c.wait()).StatusCode, 6);
  });

  test('after the owner is SIGKILLed, a new Berth attaches to the same shell', async () => {
    await env.berth.close();
    const { proc, firstLine } = childOwner(
      env,
      `const c = await b.createContainer({ Image: 'busybox', Cmd: ['sh'], Tty: true, OpenStdin: true });\nawait c.start();\nconsole.log(c.id);`,
    );
    const id = await firstLine;
    await killHard(proc);
    const b = env.open();
    const c = b.getContainer(id);
    assert.equal((await c.inspect()).State.Status, 'running');
    const s = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true });
    const r = reader(s);
    s.write('echo survived-$((40+2))\n');
    await r.until(/^survived-42\r?$/m, 'output through the re-attached shell');
    s.write('exit 0\n');
    await r.ended;
    const st = await waitFor(async () => {
      const x = (await c.inspect()).State;
      return x.Status === 'exited' ? x : undefined;
    }, 10_000, 'exit recorded by the new Berth');
    assert.equal(st.ExitCode, 0);
    await b.close();
  });

  test('StdinOnce: closing stdin ends cat (echo hi | cat)', async () => {
    const b = env.open();
    const c = await b.createContainer({ Image: 'busybox', Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true } as never);
    await c.start();
    const s = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true });
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.end('hi\n');
    await new Promise((res) => s.on('end', res));
    assert.equal(demux(Buffer.concat(chunks)).stdout.toString(), 'hi\n');
    assert.equal((await c.wait()).StatusCode, 0);
    // attach with logs replays the output; stream: false returns just that.
    const replay = await c.attach({ stream: false, logs: true, stdout: true, stderr: true });
    const got: Buffer[] = [];
    for await (const d of replay) got.push(d as Buffer);
    assert.equal(demux(Buffer.concat(got)).stdout.toString(), 'hi\n');
    await b.close();
  });

  test('attach before start (docker run, docker start -a): the stream carries the run from its first byte', async () => {
    const b = env.open();
    // Output written the instant the process starts, and input typed before it exists.
    const c = await b.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo first; echo oops >&2; [ -f /ran ] && exit 0; touch /ran; read l; echo "got $l"'], OpenStdin: true, StdinOnce: true } as never);
    const collect = (s: NodeJS.ReadableStream): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      return new Promise((res) => s.on('end', () => res(Buffer.concat(chunks))));
    };
    const s = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true });
    const out = collect(s);
    s.end('typed early\n');
    await c.start();
    const d = demux(await out);
    assert.equal(d.stdout.toString(), 'first\ngot typed early\n');
    assert.equal(d.stderr.toString(), 'oops\n');
    assert.equal((await c.wait()).StatusCode, 0);

    // Exited: the next attach waits for the next run (docker start -a).
    const again = await c.attach({ stream: true, stdout: true, stderr: true });
    const out2 = collect(again);
    await c.start();
    assert.equal(demux(await out2).stdout.toString(), 'first\n');

    // A client that leaves before the start does not hold the process back.
    const gone = await c.attach({ stream: true, stdout: true });
    gone.destroy();
    await c.start();
    assert.equal((await c.wait()).StatusCode, 0);

    // Removing the container ends a waiting stream.
    const waiting = await c.attach({ stream: true, stdout: true });
    const ended = collect(waiting);
    await c.remove();
    assert.equal((await ended).length, 0);
    await b.close();
  });
});
