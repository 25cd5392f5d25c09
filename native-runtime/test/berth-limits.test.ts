// Limits through cgroup v1: set (read back from the container's own cgroup), joined (/proc/<pid>/cgroup)
// and enforced (OOM kill, CPU quota, pids, blkio throttle). Generous tolerances: these are not benchmarks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { cgroupDirOf, makeEnv, sleep, waitFor, type TestEnv } from './berth-helpers.ts';
import { demux } from '../src/logs/format.ts';

let env: TestEnv;
before(() => {
  env = makeEnv('lim');
});
after(async () => {
  await env.cleanup();
});

const MB = 1024 * 1024;
const read = (f: string) => fs.readFileSync(f, 'utf8').trim();

/** The block device holding /var/tmp: its major:minor and /dev node. */
function varTmpDevice(): { major: number; minor: number; node: string } {
  const st = fs.statSync('/var/tmp');
  const dev = BigInt(st.dev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  const devName = /^DEVNAME=(.+)$/m.exec(fs.readFileSync(`/sys/dev/block/${major}:${minor}/uevent`, 'utf8'))![1]!;
  const node = `/dev/${devName}`;
  return { major, minor, node };
}

describe('limits', () => {
  test('set and joined: each value reads back from the cgroup named in /proc/<pid>/cgroup', async () => {
    const dev = varTmpDevice();
    const c = await env.berth.createContainer({
      Image: 'busybox',
      Cmd: ['sleep', '60'],
      HostConfig: {
        Memory: 64 * MB,
        NanoCpus: 500_000_000,
        CpuShares: 512,
        CpusetCpus: '0',
        PidsLimit: 50,
        BlkioDeviceWriteBps: [{ Path: dev.node, Rate: MB }],
        BlkioDeviceReadIOps: [{ Path: dev.node, Rate: 1000 }],
      },
    });
    await c.start();
    const { Pid } = (await c.inspect()).State;
    const dir = (ctrl: string) => {
      const d = cgroupDirOf(Pid, ctrl);
      assert.ok(d.includes(`/${env.cgroupParent}/${c.id}`), `${ctrl}: ${d}`);
      return d;
    };
    assert.equal(Number(read(`${dir('memory')}/memory.limit_in_bytes`)), 64 * MB);
    assert.equal(read(`${dir('cpu')}/cpu.cfs_quota_us`), '50000');
    assert.equal(read(`${dir('cpu')}/cpu.cfs_period_us`), '100000');
    assert.equal(read(`${dir('cpu')}/cpu.shares`), '512');
    assert.equal(read(`${dir('cpuset')}/cpuset.cpus`), '0');
    assert.equal(read(`${dir('pids')}/pids.max`), '50');
    assert.match(read(`${dir('blkio')}/blkio.throttle.write_bps_device`), new RegExp(`^${dev.major}:${dev.minor} ${MB}$`, 'm'));
    assert.match(read(`${dir('blkio')}/blkio.throttle.read_iops_device`), new RegExp(`^${dev.major}:${dev.minor} 1000$`, 'm'));
    const memDir = dir('memory');
    await c.remove({ force: true });
    assert.equal(fs.existsSync(memDir), false, 'cgroup removed with the container');
  });

  test('300 MB under a 64 MB limit: OOMKilled and 137', async () => {
    const c = await env.berth.createContainer({
      Image: 'busybox',
      Cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=300M', 'count=1'],
      HostConfig: { Memory: 64 * MB },
    });
    const since = Date.now() / 1000;
    await c.start();
    assert.equal((await c.wait()).StatusCode, 137);
    const st = (await c.inspect()).State;
    assert.equal(st.OOMKilled, true);
    assert.equal(st.ExitCode, 137);
    const { collectJson } = await import('./berth-helpers.ts');
    const ev = await collectJson<{ Action: string }>(await env.berth.getEvents({ since, until: Date.now() / 1000 + 0.1, filters: { container: [c.id] } }));
    assert.ok(ev.some((e) => e.Action === 'oom'), JSON.stringify(ev));
    await c.remove();
  });

  test('a CPU spin under NanoCpus 0.5 uses 0.5 ± 0.1 CPU over 3 s', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'while :; do :; done'], HostConfig: { NanoCpus: 500_000_000 } });
    await c.start();
    const acct = `${cgroupDirOf((await c.inspect()).State.Pid, 'cpuacct')}/cpuacct.usage`;
    await sleep(500);
    const u0 = Number(read(acct));
    const t0 = process.hrtime.bigint();
    await sleep(3000);
    const u1 = Number(read(acct));
    const t1 = process.hrtime.bigint();
    const cpus = (u1 - u0) / Number(t1 - t0);
    assert.ok(Math.abs(cpus - 0.5) <= 0.1, `used ${cpus.toFixed(3)} CPUs`);
    await c.remove({ force: true });
  });

  test('a fork bomb stops at PidsLimit', async () => {
    const c = await env.berth.createContainer({
      Image: 'busybox',
      // The bomb runs in a subshell: ash gives up when a fork fails, and the outer shell must stay.
      Cmd: ['sh', '-c', '(i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done); echo spawned; exec sleep 30'],
      HostConfig: { PidsLimit: 20 },
    });
    await c.start();
    const pidsDir = cgroupDirOf((await c.inspect()).State.Pid, 'pids');
    await waitFor(async () => demux((await c.logs({ stdout: true })) as Buffer).stdout.includes('spawned') || undefined, 10_000, 'the bomb');
    await waitFor(() => /max [1-9]/.test(read(`${pidsDir}/pids.events`)) || undefined, 10_000, 'a refused fork');
    assert.ok(Number(read(`${pidsDir}/pids.current`)) <= 20);
    const err = demux((await c.logs({ stderr: true })) as Buffer).stderr.toString();
    assert.match(err, /can't fork|Resource temporarily unavailable/);
    await c.remove({ force: true });
  });

  test('dd oflag=direct of 5 MB under 1 MB/s takes at least 4 s', async () => {
    const dev = varTmpDevice();
    const c = await env.berth.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'dd if=/dev/zero of=/f bs=1M count=5 oflag=direct 2>&1'],
      HostConfig: { BlkioDeviceWriteBps: [{ Path: dev.node, Rate: MB }] },
    });
    const t0 = Date.now();
    await c.start();
    const { StatusCode } = await c.wait();
    const took = Date.now() - t0;
    const out = demux((await c.logs({})) as Buffer).stdout.toString();
    assert.equal(StatusCode, 0, out);
    assert.ok(took >= 4000, `took ${took} ms: ${out}`);
    await c.remove();
  });
});
