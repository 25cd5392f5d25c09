// Engine API benchmarks (issue 10): the same docker CLI against Berth's socket and, when Debian's
// docker.io is installed, against dockerd in its own loopback-only network namespace (`unshare --net`,
// lo up, --bridge=none --iptables=false --ip6tables=false, cgroupfs, temp data/exec roots, containers
// --network none). busybox gets into dockerd with `docker load` of Berth's `docker save`.
// `docker run --rm` is measured in interleaved rounds: Berth with dockerd's exact flags (--network none),
// Berth on its default bridge, dockerd; the order rotates each round so load shifts hit all three.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Berth } from '@berth/runtime';
import { startEngineApi } from '../server/engine-api/server.ts';
import { runCommand, type CliResult } from '../test/server/engine-api/test-env.ts';
import { fmtMs, median, removeCgroupParent, tempRoot, type Row } from './lib.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
/** BENCH_ENGINE_API=run: only the `docker run --rm` rows. */
const ONLY_RUN = process.env.BENCH_ENGINE_API === 'run';
const DOCKERD = '/usr/sbin/dockerd';
const LOG_BYTES = 200 * 1024 * 1024;
const DOCKERFILE = 'FROM busybox\nRUN echo a > /a\nCOPY f.txt /f.txt\nENV X=1\nWORKDIR /w\nCMD ["cat", "/a"]\n';

interface Target {
  name: string;
  host: string;
  /** Extra `docker run`/`build` flags: dockerd's containers get no network at all. */
  net: string[];
  dir: string;
}

function cli(t: Target, args: string[], input?: string): Promise<CliResult> {
  const env = { PATH: process.env['PATH'], HOME: t.dir, DOCKER_HOST: t.host, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: t.dir };
  return runCommand('docker', args, env, { timeoutMs: 600_000, ...(input !== undefined ? { input } : {}) });
}

async function ok(t: Target, args: string[]): Promise<CliResult> {
  const r = await cli(t, args);
  if (r.code !== 0) throw new Error(`${t.name}: docker ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

async function timed(t: Target, args: string[], runs: number, before?: () => Promise<unknown>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    await before?.();
    xs.push((await ok(t, args)).ms);
  }
  return median(xs);
}

export async function startDockerd(dir: string): Promise<{ host: string; stop(): Promise<void> } | null> {
  if (!fs.existsSync(DOCKERD)) return null;
  const sock = path.join(dir, 'docker.sock');
  const args = [
    '--net', 'sh', '-c',
    `ip link set lo up && exec ${DOCKERD} --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false ` +
      `--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent berth-bench-dockerd --data-root ${dir}/data --exec-root ${dir}/exec ` +
      `--pidfile ${dir}/dockerd.pid -H unix://${sock} --log-level error`,
  ];
  const child: ChildProcess = spawn('unshare', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const up = async (): Promise<boolean> =>
    new Promise((resolve) => {
      const req = http.get({ socketPath: sock, path: '/_ping' }, (res) => (res.resume(), resolve(res.statusCode === 200)));
      req.on('error', () => resolve(false));
    });
  const deadline = Date.now() + 30_000;
  while (!(await up())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`dockerd did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    host: `unix://${sock}`,
    async stop() {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(t);
      removeCgroupParent('berth-bench-dockerd');
    },
  };
}

/** `docker run --rm busybox true` per variant (median), the variants taking turns within each round. */
async function measureRun(variants: Target[]): Promise<Map<string, number>> {
  const args = (t: Target): string[] => ['run', '--rm', ...t.net, 'busybox', 'true'];
  for (const t of variants) for (let i = 0; i < 2; i++) await ok(t, args(t)); // warm-up
  const xs = new Map<string, number[]>(variants.map((t) => [t.name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (let k = 0; k < variants.length; k++) {
      const t = variants[(i + k) % variants.length]!;
      xs.get(t.name)!.push((await ok(t, args(t))).ms);
    }
  }
  return new Map([...xs].map(([name, v]) => [name, median(v)]));
}

/** Every other measurement for one engine, by row name. */
async function measure(t: Target): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  await ok(t, ['run', '-d', '--name', 'bench-exec', ...t.net, 'busybox', 'sleep', '3600']);
  m.set('exec', await timed(t, ['exec', 'bench-exec', 'true'], RUNS));
  m.set('stats', await timed(t, ['stats', '--no-stream', 'bench-exec'], Math.min(RUNS, 5)));
  await ok(t, ['rm', '-f', 'bench-exec']);

  const ctx = path.join(t.dir, 'ctx');
  fs.mkdirSync(ctx, { recursive: true });
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE);
  fs.writeFileSync(path.join(ctx, 'f.txt'), 'hello world');
  await ok(t, ['build', ...t.net, '-t', 'bench-bt', ctx]);
  m.set('build-cold', await timed(t, ['build', ...t.net, '--no-cache', '-t', 'bench-bt', ctx], Math.min(RUNS, 5)));
  m.set('build-cached', await timed(t, ['build', ...t.net, '-t', 'bench-bt', ctx], Math.min(RUNS, 5)));

  // 200 MB of 100-byte lines from a finite producer (no reliance on SIGPIPE); the container has exited
  // when `docker logs` reads them.
  const lines = LOG_BYTES / 100;
  const script = `awk 'BEGIN { s = sprintf("%99s", ""); gsub(/ /, "x", s); for (i = 0; i < ${lines}; i++) print s }'`;
  await ok(t, ['run', '--name', 'bench-logs', ...t.net, 'busybox', 'sh', '-c', script]);
  const logRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await runCommand('sh', ['-c', 'docker logs bench-logs | wc -c'], { PATH: process.env['PATH'], HOME: t.dir, DOCKER_HOST: t.host, DOCKER_CONFIG: t.dir });
    if (r.code !== 0 || Number(r.stdout.trim()) !== LOG_BYTES) throw new Error(`${t.name}: docker logs gave ${r.stdout.trim()} bytes: ${r.stderr}`);
    logRuns.push(r.ms);
  }
  m.set('logs', median(logRuns));
  await ok(t, ['rm', '-f', 'bench-logs']);
  return m;
}

export async function engineApiBenchmarks(): Promise<Row[]> {
  process.env['BERTH_OFFLINE'] = '1';
  const tmp = tempRoot('engine-api');
  const cgroupParent = `berth-bench-ea-${randomBytes(3).toString('hex')}`;
  const berth = new Berth({ root: tmp.root, run: tmp.run, cgroupParent });
  await berth.ping();
  const api = await startEngineApi({ engine: () => berth, socketPath: path.join(tmp.run, 'berth.sock') });
  const berthT: Target = { name: 'berth', host: `unix://${api.socketPath}`, net: [], dir: fs.mkdtempSync(path.join(tmp.root, 'cli-')) };
  const dockerDir = fs.mkdtempSync('/var/tmp/berth-bench-dockerd-');
  let dockerd: Awaited<ReturnType<typeof startDockerd>> = null;
  try {
    dockerd = await startDockerd(dockerDir);
    let dockerT: Target | null = null;
    if (dockerd) {
      dockerT = { name: 'dockerd', host: dockerd.host, net: ['--network', 'none'], dir: dockerDir };
      const tar = path.join(dockerDir, 'busybox.tar');
      await ok(berthT, ['save', '-o', tar, 'busybox']);
      await ok(dockerT, ['load', '-i', tar]);
    }
    const berthNone: Target = { ...berthT, name: 'berth --network none', net: ['--network', 'none'] };
    const runs = await measureRun([berthNone, berthT, ...(dockerT ? [dockerT] : [])]);
    const load = os.loadavg()[0]!.toFixed(1);
    const dRun = dockerT ? runs.get(dockerT.name) : undefined;
    const versus = (bv: number, dv: number | undefined): Pick<Row, 'berth' | 'baseline' | 'ratio'> => ({
      berth: fmtMs(bv),
      baseline: dv === undefined ? 'dockerd not installed' : `${fmtMs(dv)} (dockerd 20.10, --network none)`,
      ratio: dv === undefined ? '–' : `${(bv / dv).toFixed(2)}×`,
    });
    const interleaved = `median of ${RUNS}, interleaved, load ${load}`;
    const runRows: Row[] = [
      { name: `docker CLI: run --rm --network none busybox true (${interleaved})`, ...versus(runs.get(berthNone.name)!, dRun), target: '≤ 0.25× dockerd' },
      { name: `docker CLI: run --rm busybox true, Berth's default bridge (${interleaved})`, ...versus(runs.get(berthT.name)!, dRun), target: '≤ 0.25× dockerd' },
    ];
    if (ONLY_RUN) return runRows;
    const b = await measure(berthT);
    const d = dockerT ? await measure(dockerT) : null;
    const row = (key: string, name: string, target: string): Row => ({ name, ...versus(b.get(key)!, d?.get(key)), target });
    return [
      ...runRows,
      row('exec', `docker CLI: exec <running> true (median of ${RUNS})`, '≤ dockerd'),
      row('build-cold', 'docker CLI: build, 5 steps, --no-cache (median of 5)', '≤ dockerd'),
      row('build-cached', 'docker CLI: build, 5 steps, fully cached (median of 5)', '≤ dockerd'),
      row('logs', 'docker CLI: logs of 200 MB (median of 3)', '≤ dockerd'),
      row('stats', 'docker CLI: stats --no-stream (median of 5)', '≤ dockerd'),
    ];
  } finally {
    await dockerd?.stop().catch(() => undefined);
    fs.rmSync(dockerDir, { recursive: true, force: true });
    await api.close();
    for (const c of await berth.listContainers({ all: true }).catch(() => [])) await berth.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await berth.close();
    removeCgroupParent(cgroupParent);
    tmp.cleanup();
  }
}

// `tsx bench/engine-api.ts` runs this suite alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib.ts');
  printTable(await engineApiBenchmarks());
}
