// cgroup v2 against a fake cgroupfs tree in a temp dir: which files get which values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CgroupV2Driver,
  detectCgroups,
  createCgroupDriver,
  sharesToWeight,
  parseIoStat,
  toDockerStats,
  resolveLimits,
} from '../src/cgroups/index.js';

function fakeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cg2-'));
  fs.writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
  fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), '');
  fs.writeFileSync(path.join(root, 'cpuset.cpus.effective'), '0-3\n');
  fs.writeFileSync(path.join(root, 'cpuset.mems.effective'), '0\n');
  // The kernel fills a new child's cgroup.controllers from the parent's subtree_control; fake it.
  const parent = path.join(root, 'berth');
  fs.mkdirSync(parent);
  fs.writeFileSync(path.join(parent, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), 'memory\n');
  fs.writeFileSync(path.join(parent, 'memory.swap.max'), 'max\n');
  return root;
}
const read = (f: string) => fs.readFileSync(f, 'utf8').trim();

test('shares → weight as runc converts', () => {
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 39);
  assert.equal(sharesToWeight(512), 20);
  assert.equal(sharesToWeight(262144), 10000);
});

test('create enables controllers on each level and writes v2 files', async () => {
  const root = fakeRoot();
  const d = new CgroupV2Driver({ root });
  const caps = await d.capabilities();
  assert.equal(caps.cpus, '0-3');
  assert.equal(caps.swapLimit, true);
  const { limits } = await resolveLimits({ Memory: 64 << 20, NanoCpus: 500_000_000, CpuShares: 512, CpusetCpus: '1-2', PidsLimit: 50 }, caps);
  limits.blkio = {
    readBps: [{ major: 254, minor: 0, rate: 2048 }],
    writeBps: [{ major: 254, minor: 0, rate: 1048576 }],
    writeIops: [{ major: 8, minor: 16, rate: 100 }],
  };
  await d.create('abc', limits);
  assert.equal(read(path.join(root, 'cgroup.subtree_control')), '+cpu +cpuset +memory +io +pids');
  // memory was already on in the parent: only the others are added.
  assert.equal(read(path.join(root, 'berth', 'cgroup.subtree_control')), '+cpu +cpuset +io +pids');
  const dir = path.join(root, 'berth', 'abc');
  assert.deepEqual(d.paths('abc'), [dir]);
  assert.equal(read(path.join(dir, 'cpu.max')), '50000 100000');
  assert.equal(read(path.join(dir, 'cpu.weight')), '20');
  assert.equal(read(path.join(dir, 'cpuset.cpus')), '1-2');
  assert.equal(read(path.join(dir, 'memory.max')), String(64 << 20));
  assert.equal(read(path.join(dir, 'memory.swap.max')), String(64 << 20)); // MemorySwap (2×) − Memory
  assert.equal(read(path.join(dir, 'pids.max')), '50');
  // Each io.max write is one device line; the fake file keeps the last one written.
  assert.equal(read(path.join(dir, 'io.max')), '8:16 wiops=100');

  await d.update('abc', { memorySwap: -1, pidsLimit: 0, cpuQuota: -1 });
  assert.equal(read(path.join(dir, 'memory.swap.max')), 'max');
  assert.equal(read(path.join(dir, 'pids.max')), 'max');
  assert.equal(read(path.join(dir, 'cpu.max')), 'max 100000');
  await d.update('abc', { blkio: { readBps: [{ major: 254, minor: 0, rate: 2048 }], writeBps: [{ major: 254, minor: 0, rate: 4096 }] } });
  assert.equal(read(path.join(dir, 'io.max')), '254:0 rbps=2048 wbps=4096');

  await d.freeze('abc');
  assert.equal(read(path.join(dir, 'cgroup.freeze')), '1');
  await d.thaw('abc');
  assert.equal(read(path.join(dir, 'cgroup.freeze')), '0');

  assert.equal(await d.oomKilled('abc'), false);
  fs.writeFileSync(path.join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
  assert.equal(await d.oomKilled('abc'), true);

  fs.writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 7\n');
  fs.writeFileSync(path.join(dir, 'memory.current'), '1048576\n');
  fs.writeFileSync(path.join(dir, 'memory.stat'), 'anon 4096\nfile 8192\nshmem 0\n');
  fs.writeFileSync(path.join(dir, 'io.stat'), '254:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n');
  fs.writeFileSync(path.join(dir, 'pids.current'), '3\n');
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
  const raw = await d.stats('abc');
  assert.equal(raw.cpu.totalNs, 2_500_000);
  const st = toDockerStats({ raw, read: new Date(0), systemCpuUsage: 5 }, undefined, { id: 'abc', name: '/x', memTotal: 1 << 30, onlineCpus: 4 });
  assert.deepEqual(st.cpu_stats.cpu_usage, { total_usage: 2_500_000, usage_in_kernelmode: 500_000, usage_in_usermode: 2_000_000 });
  assert.deepEqual(st.cpu_stats.throttling_data, { periods: 4, throttled_periods: 1, throttled_time: 7000 });
  assert.equal(st.memory_stats.usage, 1048576);
  assert.equal(st.memory_stats.limit, 64 << 20);
  assert.equal(st.memory_stats.stats!['anon'], 4096);
  assert.equal(st.memory_stats.max_usage, undefined);
  assert.deepEqual(st.blkio_stats.io_service_bytes_recursive, [
    { major: 254, minor: 0, op: 'read', value: 10 },
    { major: 254, minor: 0, op: 'write', value: 20 },
  ]);
  assert.deepEqual(st.pids_stats, { current: 3 }); // pids.max was reset to max above
  assert.equal(st.read, '1970-01-01T00:00:00.000000000Z');

  // A real cgroupfs lets rmdir succeed with its files present; the fake needs them gone first.
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
  await d.remove('abc');
  assert.equal(fs.existsSync(dir), false);
  fs.rmSync(root, { recursive: true });
});

test('parseIoStat', () => {
  const r = parseIoStat('8:0 rbytes=1 wbytes=2 rios=3 wios=4\n');
  assert.equal(r.serviced[1]!.value, 4);
});

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;
const COMBINED = `25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
26 20 0:23 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory`;
const V2 = `30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`;

test('detectCgroups: hybrid, combined cpu,cpuacct, pure v2', () => {
  const h = detectCgroups(HYBRID);
  assert.equal(h.mode, 'hybrid');
  assert.equal(h.v1.cpu, '/sys/fs/cgroup/cpu');
  assert.equal(h.v1.cpuacct, '/sys/fs/cgroup/cpuacct');
  assert.equal(h.v2Root, '/sys/fs/cgroup/unified');
  const c = detectCgroups(COMBINED);
  assert.equal(c.mode, 'v1');
  assert.equal(c.v1.cpu, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(c.v1.cpuacct, '/sys/fs/cgroup/cpu,cpuacct');
  const v = detectCgroups(V2);
  assert.equal(v.mode, 'v2');
  assert.equal(v.v2Root, '/sys/fs/cgroup');
  // A combined mount yields one path per hierarchy, not two.
  const d = createCgroupDriver({ layout: c, parent: 'p' });
  assert.deepEqual(d.paths('x'), ['/sys/fs/cgroup/cpu,cpuacct/p/x', '/sys/fs/cgroup/memory/p/x']);
});
