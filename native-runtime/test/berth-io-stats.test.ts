// Stats in Docker's shape from real containers (CPU under a 0.5 CPU limit, memory under 64 MB, block IO
// with O_DIRECT), and top.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ContainerStats } from '../src/engine/types.ts';
import { makeEnv, sleep, waitFor, type TestEnv } from './berth-helpers.ts';

/** The docker CLI's CPU % (cli/command/container/stats_helpers.go calculateCPUPercentUnix). */
function cpuPercent(s: ContainerStats): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  return sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * (s.cpu_stats.online_cpus ?? 1) * 100 : 0;
}

async function streamed(s: NodeJS.ReadableStream, n: number): Promise<ContainerStats[]> {
  const out: ContainerStats[] = [];
  let buf = '';
  for await (const ch of s) {
    buf += ch.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.push(JSON.parse(buf.slice(0, i)) as ContainerStats);
      buf = buf.slice(i + 1);
      if (out.length >= n) {
        (s as unknown as { destroy(): void }).destroy();
        return out;
      }
    }
  }
  return out;
}

const writeBytes = (s: ContainerStats): number =>
  (s.blkio_stats.io_service_bytes_recursive ?? []).filter((e) => e.op === 'Write' || e.op === 'write').reduce((a, e) => a + e.value, 0);

describe('stats and top', () => {
  let env: TestEnv;
  before(() => {
    env = makeEnv('stats');
  });
  after(async () => {
    await env.cleanup();
  });

  test('a CPU spin limited to 0.5 CPU reads 50 ± 15 % (Docker formula); stream emits one object a second', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'while :; do :; done'], HostConfig: { NanoCpus: 500_000_000 } } as never);
    await c.start();
    await sleep(500);
    const t0 = Date.now();
    const objs = await streamed(await c.stats({ stream: true }), 4);
    assert.ok(Date.now() - t0 >= 2500, 'about one object per second');
    assert.equal(objs[0]!.id, c.id);
    // Docker's formula over the 3 s between the first and the last object (other tests load this host).
    const pct = cpuPercent({ ...objs[3]!, precpu_stats: objs[0]!.cpu_stats });
    assert.ok(pct > 35 && pct < 65, `CPU ${pct.toFixed(1)} %`);
    for (const o of objs.slice(1)) assert.ok(cpuPercent(o) <= 65, 'each one-second reading respects the limit');
    // stream:false answers at once; with the sampler warmed up, precpu is a real earlier sample.
    await c.stats({ stream: false });
    await sleep(1500);
    const t1 = performance.now();
    const one = await c.stats({ stream: false });
    assert.ok(performance.now() - t1 < 1000, 'stream:false does not wait for a second sample');
    assert.notEqual(one.preread, '0001-01-01T00:00:00Z');
    const p2 = cpuPercent(one);
    assert.ok(p2 > 0 && p2 < 65, `stream:false CPU ${p2.toFixed(1)} %`);
    const shot = await c.stats({ stream: false, 'one-shot': true });
    assert.equal(shot.preread, '0001-01-01T00:00:00Z');
    assert.equal(shot.precpu_stats.cpu_usage.total_usage, 0);
    assert.ok(!('lo' in (shot.networks ?? {})), 'lo is not reported');
    await c.remove({ force: true });
  });

  test('the first stream:false of a busy container fills precpu_stats (dockerd primes it a second earlier)', async () => {
    // Issue #16 item 16: the first `docker stats --no-stream` read ~0.2 % for a container using 50 %, because
    // precpu_stats was empty. dockerd (daemon/stats.go) discards a first frame to prime precpu unless one-shot.
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'while :; do :; done'], HostConfig: { NanoCpus: 500_000_000 } } as never);
    await c.start();
    await sleep(300);
    const first = await c.stats({ stream: false });
    assert.notEqual(first.preread, '0001-01-01T00:00:00Z', 'precpu is a real sample');
    assert.ok(Date.parse(first.read) - Date.parse(first.preread) >= 900, 'about a second apart');
    const pct = cpuPercent(first);
    assert.ok(pct > 30 && pct < 65, `first stream:false CPU ${pct.toFixed(1)} %`);
    await c.remove({ force: true });
  });

  test('networks: keyed by interface, without lo; absent with --network none', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '100'], HostConfig: { NetworkMode: 'none' } } as never);
    await c.start();
    assert.equal((await c.stats({ stream: false })).networks, undefined);
    await c.remove({ force: true });
  });

  test('40 MB in memory: usage ≥ 40 MB and the limit is the container’s 64 MB', async () => {
    const c = await env.berth.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 2>/dev/null; echo ok; sleep 1000'],
      HostConfig: { Memory: 64 * 1024 * 1024 },
    } as never);
    await c.start();
    await waitFor(async () => (((await c.logs({ stdout: true })) as Buffer).toString().includes('ok') ? true : undefined), 10_000, 'the fill');
    const s = await c.stats({ stream: false });
    assert.ok(s.memory_stats.usage! >= 40 * 1024 * 1024, `usage ${s.memory_stats.usage}`);
    assert.equal(s.memory_stats.limit, 64 * 1024 * 1024);
    assert.ok(s.pids_stats.current! >= 1);
    await c.remove({ force: true });
  });

  test('block IO write bytes rise by at least what dd wrote with oflag=direct', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'read x; dd if=/dev/zero of=/big bs=1M count=8 oflag=direct 2>/dev/null; echo done; sleep 1000'], OpenStdin: true } as never);
    await c.start();
    const before0 = writeBytes(await c.stats({ stream: false, 'one-shot': true }));
    const a = await c.attach({ stream: true, stdin: true, stdout: true });
    a.write('go\n');
    await waitFor(async () => (((await c.logs({ stdout: true })) as Buffer).toString().includes('done') ? true : undefined), 20_000, 'dd');
    a.destroy();
    const after0 = writeBytes(await c.stats({ stream: false, 'one-shot': true }));
    assert.ok(after0 - before0 >= 8 * 1024 * 1024, `write bytes rose by ${after0 - before0}`);
    await c.remove({ force: true });
  });

  test('top: ps -ef columns for the container’s processes only; ps_args are passed to ps', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 1001 & sleep 1002; exit 0'] } as never);
    await c.start();
    await sleep(200);
    const t = await c.top();
    assert.deepEqual(t.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    const cmds = t.Processes.map((p) => p[7]).sort();
    assert.deepEqual(cmds, ['sh -c sleep 1001 & sleep 1002; exit 0', 'sleep 1001', 'sleep 1002']);
    const t2 = await c.top({ ps_args: '-o pid,comm' });
    assert.deepEqual(t2.Titles, ['PID', 'COMMAND']);
    assert.equal(t2.Processes.length, 3);
    await c.kill();
    await assert.rejects(c.top(), (e: { statusCode?: number }) => e.statusCode === 409);
    await c.remove();
  });
});
