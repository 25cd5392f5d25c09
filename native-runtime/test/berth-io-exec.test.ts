// Exec through the Berth facade: TTY sessions, demultiplexed output, the exec'd process's isolation,
// Docker's 409s, inspect and events.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { ContainerHandle } from '../src/engine/engine.ts';
import type { EngineEvent } from '../src/engine/types.ts';
import { demux } from '../src/logs/format.ts';
import { collectJson, makeEnv, sleep, waitFor, type TestEnv } from './berth-helpers.ts';
import { reader } from './berth-io-helpers.ts';

describe('exec', () => {
  let env: TestEnv;
  let c: ContainerHandle;
  before(async () => {
    env = makeEnv('exec');
    c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '1000'], User: 'nobody' } as never);
    await c.start();
  });
  after(async () => {
    await env.cleanup();
  });

  test('with a TTY: drive sh, resize, stty size', async () => {
    const x = await c.exec({ Cmd: ['sh'], Tty: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, ConsoleSize: [30, 100] });
    const s = await x.start({ hijack: true, stdin: true, Tty: true });
    const r = reader(s);
    s.write('echo $((6*7))\n');
    await r.until(/^42\r?$/m, '42');
    s.write('stty size\n');
    await r.until(/^30 100\r?$/m, 'initial size');
    await x.resize({ h: 40, w: 120 });
    s.write('stty size\n');
    await r.until(/^40 120\r?$/m, 'size after resize');
    s.write('exit 5\n');
    await r.ended;
    await waitFor(async () => (await x.inspect()).Running === false || undefined, 5000, 'exec to finish');
    const info = await x.inspect();
    assert.equal(info.ExitCode, 5);
    assert.equal(info.ProcessConfig.tty, true);
    assert.equal(info.OpenStdin, true);
  });

  test('without a TTY: stdout and stderr arrive demultiplexed; the container user is the default', async () => {
    const x = await c.exec({ Cmd: ['sh', '-c', 'echo out; id -u; echo err >&2; exit 3'], AttachStdout: true, AttachStderr: true });
    const s = await x.start({});
    const chunks: Buffer[] = [];
    for await (const ch of s) chunks.push(ch as Buffer);
    const d = demux(Buffer.concat(chunks));
    assert.equal(d.stdout.toString(), 'out\n65534\n');
    assert.equal(d.stderr.toString(), 'err\n');
    await waitFor(async () => (await x.inspect()).ExitCode ?? undefined, 5000, 'exit code');
    const info = await x.inspect();
    assert.equal(info.ExitCode, 3);
    assert.equal(info.ContainerID, c.id);
    assert.ok(info.Pid > 0);
    assert.equal((await env.berth.getExec(x.id).inspect()).ID, x.id);
  });

  test('stdin: end() half-closes it, cat sees EOF', async () => {
    const x = await c.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true });
    const s = await x.start({ hijack: true, stdin: true });
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.end('piped through\n');
    await new Promise((r) => s.on('end', r));
    assert.equal(demux(Buffer.concat(chunks)).stdout.toString(), 'piped through\n');
  });

  test("the exec'd process has the container's pid namespace, cgroup, seccomp and CapEff", async () => {
    const pid = (await c.inspect()).State.Pid;
    const x = await c.exec({ Cmd: ['sh', '-c', 'echo "pid1=$(cat /proc/1/cmdline | tr "\\0" " ")"; cat /proc/self/cgroup; grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status'], AttachStdout: true, User: 'root' });
    const s = await x.start({});
    const chunks: Buffer[] = [];
    for await (const ch of s) chunks.push(ch as Buffer);
    const out = demux(Buffer.concat(chunks)).stdout.toString();
    assert.match(out, /^pid1=sleep 1000 $/m);
    assert.match(out, new RegExp(`^\\d+:memory:/${env.cgroupParent}/${c.id}$`, 'm'));
    assert.match(out, new RegExp(`^\\d+:pids:/${env.cgroupParent}/${c.id}$`, 'm'));
    assert.match(out, /^Seccomp:\t2$/m);
    assert.match(out, /^NoNewPrivs:\t1$/m);
    const capEff = /^CapEff:\t(\w+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    // The container runs as nobody (empty effective set); an exec as root gets the container's bounding set.
    const bnd = /^CapBnd:\t(\w+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
    assert.equal(capEff, '0000000000000000');
    assert.match(out, new RegExp(`^CapEff:\\t${bnd}$`, 'm'));
    const xPid = (await x.inspect()).Pid;
    assert.ok(xPid > 0);
  });

  test('Detach: runs in the background; inspect follows it to its exit; events are emitted', async () => {
    const since = Date.now() / 1000;
    const x = await c.exec({ Cmd: ['sh', '-c', 'sleep 0.3; exit 4'] });
    await x.start({ Detach: true });
    assert.equal((await x.inspect()).Running, true);
    await waitFor(async () => ((await x.inspect()).Running ? undefined : true), 5000, 'detached exec to end');
    assert.equal((await x.inspect()).ExitCode, 4);
    const ev = await collectJson<EngineEvent>(await env.berth.getEvents({ since, until: Date.now() / 1000 + 0.05 }));
    const mine = ev.filter((e) => e.Actor.Attributes['execID'] === x.id).map((e) => e.Action);
    assert.deepEqual(mine, ["exec_create: sh -c sleep 0.3; exit 4", "exec_start: sh -c sleep 0.3; exit 4", 'exec_die']);
    assert.equal(ev.find((e) => e.Action === 'exec_die' && e.Actor.Attributes['execID'] === x.id)!.Actor.Attributes['exitCode'], '4');
    await assert.rejects(x.start({}), (e: { statusCode?: number }) => e.statusCode === 409);
  });

  test('exec into a paused or stopped container is a 409; an unknown exec is a 404', async () => {
    const d = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '1000'] } as never);
    await assert.rejects(d.exec({ Cmd: ['true'] }), (e: { statusCode?: number; message: string }) => e.statusCode === 409 && /is not running/.test(e.message));
    await d.start();
    await d.pause();
    assert.equal((await d.inspect()).State.Status, 'paused');
    await assert.rejects(d.exec({ Cmd: ['true'] }), (e: { statusCode?: number; message: string }) => e.statusCode === 409 && /is paused/.test(e.message));
    await d.unpause();
    const x = await d.exec({ Cmd: ['true'] });
    await d.kill();
    await assert.rejects(x.start({}), (e: { statusCode?: number }) => e.statusCode === 409);
    await assert.rejects(env.berth.getExec('nope').inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
    await assert.rejects(c.exec({ Cmd: [] }), (e: { statusCode?: number }) => e.statusCode === 400);
    await d.remove({ force: true });
    await sleep(10);
  });
});
