// cgroup v1 for real, on this host's hybrid layout. Skipped where v1 controllers are not mounted or we are not root.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  CgroupV1Driver,
  detectCgroups,
  createCgroupDriver,
  resolveLimits,
  toDockerStats,
  sample,
  type CgroupCapabilities,
} from '../src/cgroups/index.js';
import { EngineError } from '../src/errors.js';
import { rmdirRetry } from '../src/cgroups/fsutil.js';
import { DOCKER_API_FIXTURES } from './support/fixtures.ts';

const layout = detectCgroups();
const skip = layout.mode === 'v2' || process.getuid?.() !== 0 ? 'needs root and cgroup v1' : false;
const parent = `berth-test-${randomBytes(4).toString('hex')}`;
const driver = skip ? (undefined as unknown as CgroupV1Driver) : (createCgroupDriver({ parent }) as CgroupV1Driver);
const children: ChildProcess[] = [];
const read = (f: string) => fs.readFileSync(f, 'utf8').trim();
const m = layout.v1;

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  if (skip) return;
  for (const mnt of new Set(Object.values(m))) {
    const d = path.join(mnt, parent);
    for (const sub of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      if (sub.isDirectory()) await driver.remove(sub.name).catch(() => {});
    }
    // A just-emptied memory group can report EBUSY for a moment.
    if (fs.existsSync(d)) await rmdirRetry(d).catch(() => {});
  }
});

async function sleeper(id: string): Promise<number> {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  await new Promise((r) => c.once('spawn', r));
  for (const p of driver.paths(id)) fs.writeFileSync(path.join(p, 'cgroup.procs'), String(c.pid));
  return c.pid!;
}

const state = (pid: number) => /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];

test('detects the hybrid layout with separate cpu and cpuacct', { skip }, () => {
  assert.equal(driver.version, 1);
  assert.ok(m.cpu && m.cpuacct && m.memory && m.cpuset && m.blkio && m.pids && m.freezer);
});

test('create sets every limit; a joined process is counted, frozen, thawed and killed on remove', { skip }, async () => {
  const caps = await driver.capabilities();
  assert.equal(caps.version, 1);
  const id = `c${randomBytes(6).toString('hex')}`;
  const { limits, warnings } = await resolveLimits(
    {
      Memory: 64 * 1024 * 1024,
      NanoCpus: 500_000_000,
      CpuShares: 512,
      CpusetCpus: '0',
      PidsLimit: 100,
      BlkioDeviceWriteBps: [{ Path: '/dev/vda', Rate: 1048576 }],
      BlkioDeviceReadIOps: [{ Path: '/dev/vda', Rate: 500 }],
    },
    caps,
  );
  assert.deepEqual(warnings, []);
  await driver.create(id, limits);
  const dir = (c: string) => path.join(m[c as keyof typeof m]!, parent, id);
  assert.equal(read(path.join(dir('memory'), 'memory.limit_in_bytes')), '67108864');
  if (caps.swapLimit) assert.equal(read(path.join(dir('memory'), 'memory.memsw.limit_in_bytes')), '134217728');
  assert.equal(read(path.join(dir('cpu'), 'cpu.cfs_quota_us')), '50000');
  assert.equal(read(path.join(dir('cpu'), 'cpu.cfs_period_us')), '100000');
  assert.equal(read(path.join(dir('cpu'), 'cpu.shares')), '512');
  assert.equal(read(path.join(dir('cpuset'), 'cpuset.cpus')), '0');
  assert.notEqual(read(path.join(dir('cpuset'), 'cpuset.mems')), '');
  assert.equal(read(path.join(dir('pids'), 'pids.max')), '100');
  assert.equal(read(path.join(dir('blkio'), 'blkio.throttle.write_bps_device')), '254:0 1048576');
  assert.equal(read(path.join(dir('blkio'), 'blkio.throttle.read_iops_device')), '254:0 500');
  assert.match(read(path.join(dir('devices'), 'devices.list')), /c 1:3 rwm/);
  assert.equal(new Set(driver.paths(id)).size, driver.paths(id).length);

  const pid = await sleeper(id);
  assert.deepEqual(await driver.pids(id), [pid]);

  const raw = await driver.stats(id);
  assert.equal(raw.pids.current, 1);
  assert.equal(raw.pids.limit, 100);
  assert.equal(raw.memory.limit, 67108864);
  const st = toDockerStats(await sample(raw), undefined, { id, name: '/t', memTotal: caps.memTotal });
  const fixture = JSON.parse(fs.readFileSync(`${DOCKER_API_FIXTURES}/api_containers_id_stats_stream_false.json`, 'utf8'));
  assert.deepEqual(Object.keys(st).sort(), Object.keys(fixture).sort());
  assert.deepEqual(Object.keys(st.memory_stats.stats!).sort(), Object.keys(fixture.memory_stats.stats).sort());
  assert.deepEqual(Object.keys(st.cpu_stats.cpu_usage).sort(), Object.keys(fixture.cpu_stats.cpu_usage).sort());
  assert.equal(st.memory_stats.limit, 67108864);
  assert.equal(st.pids_stats.current, 1);
  assert.ok(st.cpu_stats.system_cpu_usage! > 0);
  assert.equal(st.cpu_stats.online_cpus, st.cpu_stats.cpu_usage.percpu_usage!.length);
  assert.equal(st.preread, '0001-01-01T00:00:00Z');

  await driver.freeze(id);
  assert.equal(read(path.join(dir('freezer'), 'freezer.state')), 'FROZEN');
  assert.notEqual(state(pid), 'S');
  await driver.thaw(id);
  assert.equal(read(path.join(dir('freezer'), 'freezer.state')), 'THAWED');
  assert.equal(state(pid), 'S');

  await driver.update(id, { memory: 32 * 1024 * 1024, memorySwap: 48 * 1024 * 1024, pidsLimit: 0 });
  assert.equal(read(path.join(dir('memory'), 'memory.limit_in_bytes')), String(32 * 1024 * 1024));
  if (caps.swapLimit) assert.equal(read(path.join(dir('memory'), 'memory.memsw.limit_in_bytes')), String(48 * 1024 * 1024));
  assert.equal(read(path.join(dir('pids'), 'pids.max')), 'max');
  await driver.update(id, { memory: 256 * 1024 * 1024, memorySwap: -1 });
  assert.equal(read(path.join(dir('memory'), 'memory.limit_in_bytes')), String(256 * 1024 * 1024));

  const exited = new Promise((r) => children.at(-1)!.once('exit', r));
  await driver.remove(id);
  await exited;
  for (const p of driver.paths(id)) assert.equal(fs.existsSync(p), false, p);
  await driver.remove(id); // idempotent
});

test('oomKilled reports a memory-limit kill', { skip }, async () => {
  const caps = await driver.capabilities();
  const id = `o${randomBytes(6).toString('hex')}`;
  const { limits } = await resolveLimits({ Memory: 8 * 1024 * 1024, MemorySwap: 8 * 1024 * 1024 }, caps);
  await driver.create(id, limits);
  assert.equal(await driver.oomKilled(id), false);
  // The shell joins first, then execs the allocation.
  const c = spawn('sh', ['-c', 'read x; head -c 64000000 /dev/zero | tail -c 64000000 >/dev/null'], { stdio: ['pipe', 'ignore', 'ignore'] });
  children.push(c);
  await new Promise((r) => c.once('spawn', r));
  for (const p of driver.paths(id)) fs.writeFileSync(path.join(p, 'cgroup.procs'), String(c.pid));
  const done = new Promise((r) => c.once('exit', r));
  c.stdin!.end('go\n');
  await done;
  assert.equal(await driver.oomKilled(id), true);
  await driver.remove(id);
});

test('limit validation uses dockerd messages', { skip }, async () => {
  const caps: CgroupCapabilities = await driver.capabilities();
  const n = caps.ncpu;
  const bad = async (spec: Parameters<typeof resolveLimits>[0], msg: string | RegExp) => {
    await assert.rejects(resolveLimits(spec, caps), (e: unknown) => {
      assert.ok(e instanceof EngineError);
      assert.equal(e.statusCode, 400);
      if (typeof msg === 'string') assert.equal(e.message, msg);
      else assert.match(e.message, msg);
      return true;
    });
  };
  await bad({ Memory: 1024 * 1024 }, 'Minimum memory limit allowed is 6MB');
  await bad({ Memory: 64 << 20, MemorySwap: 32 << 20 }, 'Minimum memoryswap limit should be larger than memory limit, see usage');
  await bad({ NanoCpus: (n + 1) * 1e9 }, `Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`);
  await bad({ CpuQuota: 500 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  await bad({ CpusetCpus: '99' }, /^Requested CPUs are not available - requested 99, available: /);
  await bad({ CpusetCpus: 'x' }, 'Invalid value x for cpuset cpus');
  await bad({ BlkioDeviceWriteBps: [{ Path: '/dev/nope', Rate: 1 }] }, /no such device$/);
  await bad({ BlkioDeviceReadBps: [{ Path: '/dev/null', Rate: 1 }] }, /no such device$/);
  // Unlimited pids, and NanoCpus → quota/period.
  const ok = await resolveLimits({ PidsLimit: -1, NanoCpus: 1_500_000_000 > n * 1e9 ? 1e9 : 1_500_000_000 }, caps);
  assert.equal(ok.limits.pidsLimit, 0);
  assert.equal(ok.limits.cpuPeriod, 100000);
  // Without swap accounting dockerd ignores MemorySwap with a warning.
  const noSwap = await resolveLimits({ Memory: 64 << 20, MemorySwap: 128 << 20 }, { ...caps, swapLimit: false });
  assert.equal(noSwap.limits.memorySwap, undefined);
  assert.match(noSwap.warnings[0]!, /does not support swap limit/);
});
