// Runtime benchmarks: container run latency against a bare clone+overlay+pivot_root+exec floor,
// exec latency against a bare setns+exec floor, stats latency, log throughput and size, shim memory.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Berth } from '@berth/runtime';
import { buildBaseline, fmtBytes, fmtMs, median, removeCgroupParent, tempRoot, timeMs, type Row } from './lib.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);

/** v1 cgroup dirs (one per mounted controller) for the floor-with-cgroups baseline. */
function floorCgroups(parent: string): string[] {
  const dirs: string[] = [];
  for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids', 'freezer', 'devices']) {
    const root = `/sys/fs/cgroup/${c}`;
    if (!fs.existsSync(path.join(root, 'cgroup.procs'))) continue;
    const d = path.join(root, parent);
    fs.mkdirSync(d, { recursive: true });
    if (c === 'cpuset') {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(path.join(d, f), fs.readFileSync(path.join(root, f)));
    }
    dirs.push(d);
  }
  return dirs;
}

async function runLatency(berth: Berth): Promise<Row[]> {
  const body = { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } };
  // Warm-up: the starter image and the first snapshot.
  const warm = await berth.createContainer(body);
  await warm.start();
  await warm.wait();
  await warm.remove();

  const floor = buildBaseline('clone_exec');
  const lower = fs.mkdtempSync('/var/tmp/berth-bench-lower-');
  const scratch = fs.mkdtempSync('/var/tmp/berth-bench-scratch-');
  fs.mkdirSync(path.join(lower, 'bin'));
  fs.copyFileSync('/bin/busybox', path.join(lower, 'bin/busybox'));
  fs.symlinkSync('busybox', path.join(lower, 'bin/true'));
  const cgroups = floorCgroups(`berth-bench-floor-${path.basename(scratch)}`);
  const runFloor = (extra: string[]) => {
    fs.rmSync(scratch, { recursive: true, force: true });
    for (const d of ['upper', 'work', 'merged']) fs.mkdirSync(path.join(scratch, d), { recursive: true });
    return timeMs(() => execFileSync(floor, [lower, scratch, ...extra]));
  };

  // Interleaved, so load from anything else on the machine hits all three alike.
  const berthTimes: number[] = [];
  const floorTimes: number[] = [];
  const cgroupFloorTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let id = '';
    berthTimes.push(
      await timeMs(async () => {
        const c = await berth.createContainer(body);
        id = c.id;
        await c.start();
        await c.wait();
      }),
    );
    await berth.getContainer(id).remove();
    floorTimes.push(await runFloor([]));
    cgroupFloorTimes.push(await runFloor(cgroups));
  }
  fs.rmSync(lower, { recursive: true, force: true });
  fs.rmSync(scratch, { recursive: true, force: true });
  for (const d of cgroups) fs.rmdirSync(d);
  const b = median(berthTimes);
  const f = median(floorTimes);
  const fc = median(cgroupFloorTimes);
  return [
    {
      name: `run: create+start+wait true (median of ${RUNS})`,
      berth: fmtMs(b),
      baseline: `${fmtMs(f)} (clone+overlay+pivot_root+exec)`,
      ratio: `${(b / f).toFixed(2)}×`,
      target: '≤ 15 ms and ≤ 2.5× floor; docker run --rm true: 209 ms',
    },
    {
      name: 'run: the floor plus joining 8 v1 cgroups as runc does',
      berth: fmtMs(b),
      baseline: `${fmtMs(fc)} (floor + parent writes cgroup.procs)`,
      ratio: `${(b / fc).toFixed(2)}×`,
      target: 'Berth joins v1 groups from the child, skipping that wait',
    },
  ];
}

async function logThroughput(berth: Berth, label: string, script: string, payload: number, docker: string): Promise<Row[]> {
  const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', script], HostConfig: { NetworkMode: 'none' } });
  const runMs = await timeMs(async () => {
    await c.start();
    await c.wait();
  });
  let got = 0;
  const logsMs = await timeMs(async () => {
    const buf = await c.logs({ stdout: true, stderr: true, follow: false });
    got = (buf as Buffer).length;
  });
  const info = await c.inspect();
  const logDir = path.dirname(info.LogPath);
  const fileBytes = fs.readdirSync(logDir).reduce((n, f) => n + fs.statSync(path.join(logDir, f)).size, 0);
  await c.remove();
  // Mux framing adds 8 bytes per frame; the payload is what the container wrote.
  const framed = got >= payload ? 'all bytes' : `ONLY ${got} of ${payload} bytes`;
  return [
    {
      name: `logs: ${label}, logs() returns all (${framed})`,
      berth: fmtMs(logsMs),
      baseline: `${fmtMs(runMs)} to produce`,
      ratio: '—',
      target: `${label.includes('1 KiB') ? '≤ 1 s' : '≤ 10 s'}; docker: ${docker}`,
    },
    {
      name: `log file size: ${label}`,
      berth: fmtBytes(fileBytes),
      baseline: `${fmtBytes(payload)} payload`,
      ratio: `${(fileBytes / payload).toFixed(3)}×`,
      target: '≤ 1.5×; docker json-file: 36× for 2-byte lines',
    },
  ];
}

async function shimRss(berth: Berth): Promise<Row> {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } });
    await c.start();
    ids.push(c.id);
  }
  await new Promise((r) => setTimeout(r, 300));
  const rss: number[] = [];
  for (const id of ids) {
    const info = await berth.getContainer(id).inspect();
    const pidFile = fs.readdirSync(berth.run).map((d) => path.join(berth.run, d, 'shim.pid')).find((f) => {
      try {
        return fs.readFileSync(f, 'utf8').trim().split(/\s+/)[1] === String(info.State.Pid);
      } catch {
        return false;
      }
    });
    const shimPid = pidFile ? fs.readFileSync(pidFile, 'utf8').trim().split(/\s+/)[0] : undefined;
    const status = shimPid ? fs.readFileSync(`/proc/${shimPid}/status`, 'utf8') : '';
    rss.push(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024);
  }
  for (const id of ids) await berth.getContainer(id).remove({ force: true });
  const m = median(rss);
  return {
    name: 'shim RSS per running container (median of 5)',
    berth: fmtBytes(m),
    baseline: 'containerd-shim 13.3 MiB, conmon 2.1 MiB',
    ratio: `${(m / (13.3 * 1024 * 1024)).toFixed(2)}× containerd-shim`,
    target: '≤ 2 MiB',
  };
}

/** `exec true` (create + start + read to the end + exit recorded) against setns+fork+exec in C. */
async function execLatency(berth: Berth): Promise<Row[]> {
  const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
  await c.start();
  const execOnce = async () => {
    const x = await c.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
    const s = await x.start({});
    s.resume();
    await new Promise((r) => s.on('end', r));
  };
  await execOnce();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await timeMs(execOnce));
  const pid = (await c.inspect()).State.Pid;
  const floor = buildBaseline('setns_exec');
  const floorTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) floorTimes.push(await timeMs(() => execFileSync(floor, [String(pid)])));
  // stats({stream:false}): the first call starts the sampler; later calls answer from it at once.
  await c.stats({ stream: false });
  const statTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) statTimes.push(await timeMs(() => c.stats({ stream: false })));
  await c.remove({ force: true });
  const e = median(times);
  const f = median(floorTimes);
  const st = median(statTimes);
  return [
    {
      name: `exec true: create+start+end of stream (median of ${RUNS})`,
      berth: fmtMs(e),
      baseline: `${fmtMs(f)} (setns+fork+chroot+exec in C)`,
      ratio: `${(e / f).toFixed(2)}×`,
      target: '≤ 15 ms; docker exec true: 65 ms',
    },
    {
      name: `stats({stream:false}) (median of ${RUNS})`,
      berth: fmtMs(st),
      baseline: 'docker stats --no-stream: 2.0 s',
      ratio: `${(st / 2000).toFixed(3)}× docker`,
      target: '≤ 50 ms',
    },
  ];
}

export async function runtimeBenchmarks(): Promise<Row[]> {
  const t = tempRoot('runtime');
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent: `berth-bench-${path.basename(t.root)}` });
  try {
    const rows: Row[] = [];
    rows.push(...(await runLatency(berth)));
    rows.push(...(await execLatency(berth)));
    const line = "l=$(head -c 1023 /dev/zero | tr '\\0' x); yes \"$l\" | head -c 200000000";
    rows.push(...(await logThroughput(berth, '200 MB in 1 KiB lines', line, 200_000_000, '4.0 s')));
    rows.push(...(await logThroughput(berth, 'yes | head -c 200000000 (2-byte lines)', 'yes | head -c 200000000', 200_000_000, '734 s, 7.2 GB file')));
    rows.push(await shimRss(berth));
    return rows;
  } finally {
    await berth.close();
    t.cleanup();
    removeCgroupParent(berth.cgroupParent);
  }
}
