// Scale benchmarks (issue #16 items 14 and 15):
// - `run -d` (create + start of a detached container) with one container and with 200 containers running,
//   on the default bridge and on a user-defined network (names there come from the embedded DNS server,
//   so a create no longer rewrites one file per peer). Target: ≤ 1.2× at 200.
// - a long build (BENCH_BUILD_STEPS generated ENV steps, a `RUN true` every BENCH_BUILD_RUN_EVERY), then
//   `docker images`, `docker images -a` and `docker builder prune`, with the worst latency of a
//   `docker ps` polled meanwhile. Issue figures for 10,000 steps: images 45-59 s, prune > 25 min.
//   BENCH_SCALE_PARTS=run or =build runs one half.
// - the memory of long builds (part `mem`): peak RSS and heap above a warmed-up engine, per step count
//   (BENCH_BUILD_MEM_STEPS, default 1000,3000,10000), each count in its own Node process (what one
//   build left behind would blur the next) on a fresh root. Growth from the first count is the ratio.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { Berth } from '@berth/runtime';
import { subnetCollision } from '../native-runtime/src/networks/index.ts';
import { fmtMs, median, removeCgroupParent, tempRoot, timeMs, type Row } from './lib.ts';

const PEERS = Number(process.env.BENCH_SCALE_PEERS ?? 200);
const SAMPLES = Number(process.env.BENCH_RUNS ?? 15);
const STEPS = Number(process.env.BENCH_BUILD_STEPS ?? 2000);
const RUN_EVERY = Number(process.env.BENCH_BUILD_RUN_EVERY ?? 50);
const MEM_STEPS = (process.env.BENCH_BUILD_MEM_STEPS ?? '1000,3000,10000').split(',').map(Number);
const execFileP = promisify(execFile);

function freeSubnet(): string {
  for (let i = 0; i < 200; i++) {
    const s = `10.${200 + randomInt(50)}.${randomInt(256)}.0/24`;
    if (!subnetCollision(s)) return s;
  }
  throw new Error('no free /24');
}

/** Median of SAMPLES `run -d` (each removed again, so the count of running containers stays put). */
async function runD(berth: Berth, network: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    let id = '';
    times.push(
      await timeMs(async () => {
        const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: network } });
        id = c.id;
        await c.start();
      }),
    );
    await berth.getContainer(id).remove({ force: true });
  }
  return median(times);
}

async function runDetached(): Promise<Row[]> {
  const t = tempRoot('scale');
  const cgroupParent = `berth-bench-${path.basename(t.root)}`;
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent, bridge: { name: `bs${randomInt(1e6)}` } });
  const net = 'scalenet';
  const rows: Row[] = [];
  try {
    await berth.createNetwork({ Name: net, IPAM: { Config: [{ Subnet: freeSubnet() }] } });
    const peer = async (i: number): Promise<string> => {
      const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: i % 2 ? net : 'bridge' } });
      await c.start();
      return c.id;
    };
    // "With one": one container on each network (as the issue measured), before and after the 200, so
    // a drift of this shared machine's load shows.
    const first = [await peer(0), await peer(1)];
    await runD(berth, 'bridge'); // warm-up: snapshots, bridges
    await runD(berth, net);
    const oneBefore = { bridge: await runD(berth, 'bridge'), user: await runD(berth, net) };
    const rest: string[] = [];
    for (let i = 2; i < PEERS; i++) rest.push(await peer(i));
    const many = { bridge: await runD(berth, 'bridge'), user: await runD(berth, net) };
    for (const id of rest) await berth.getContainer(id).remove({ force: true });
    const oneAfter = { bridge: await runD(berth, 'bridge'), user: await runD(berth, net) };
    void first;
    const one = { bridge: (oneBefore.bridge + oneAfter.bridge) / 2, user: (oneBefore.user + oneAfter.user) / 2 };
    for (const k of ['bridge', 'user'] as const) {
      rows.push({
        name: `run -d (create+start) with ${PEERS} containers running, ${k === 'bridge' ? 'default bridge' : 'user-defined network'} (median of ${SAMPLES})`,
        berth: fmtMs(many[k]),
        baseline: `${fmtMs(one[k])} with one running (${fmtMs(oneBefore[k])} before, ${fmtMs(oneAfter[k])} after)`,
        ratio: `${(many[k] / one[k]).toFixed(2)}×`,
        target: '≤ 1.2× (issue #16: 85 ms → 500 ms before)',
      });
    }
  } finally {
    for (const c of await berth.listContainers({ all: true }).catch(() => [])) await berth.getContainer(c.Id).remove({ force: true }).catch(() => {});
    await berth.close();
    t.cleanup();
    removeCgroupParent(cgroupParent);
  }
  return rows;
}

async function contextTar(dockerfile: string): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  pack.entry({ name: 'Dockerfile', mode: 0o644 }, dockerfile);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Worst latency of `docker ps` polled every 20 ms while fn runs: does fn stall other requests? */
async function worstLatencyDuring(berth: Berth, fn: () => Promise<unknown>): Promise<number> {
  let worst = 0;
  let done = false;
  const poll = (async () => {
    while (!done) {
      worst = Math.max(worst, await timeMs(() => berth.listContainers()));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await fn();
  } finally {
    done = true;
    await poll;
  }
  return worst;
}

/** The generated long Dockerfile's build context: ENV steps, a `RUN true` every RUN_EVERY. */
function longBuildContext(steps: number): Promise<Buffer> {
  const lines = ['FROM busybox'];
  for (let i = 1; i < steps; i++) lines.push(i % RUN_EVERY === 0 ? `RUN true` : `ENV V${i}=${i}`);
  return contextTar(lines.join('\n') + '\n');
}

async function build(berth: Berth, ctx: Buffer): Promise<void> {
  const s = await berth.buildImage(Readable.from([ctx]), {});
  let tail = '';
  for await (const c of s) tail = (tail + c.toString()).slice(-4000);
  if (/"error"/.test(tail)) throw new Error(`build failed: ${tail}`);
}

const MiB = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
const gc = (globalThis as { gc?: () => void }).gc;

interface BuildMemory {
  ms: number;
  rss: number;
  heap: number;
  /** Heap still used after a GC at the end (null without --expose-gc). */
  kept: number | null;
}

/** Peak RSS / heap of one build of `steps` steps, above the engine's after a small warm-up build. */
export async function buildMemoryOnce(steps: number): Promise<BuildMemory> {
  const t = tempRoot('bmem');
  const cgroupParent = `berth-bench-${path.basename(t.root)}`;
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent });
  try {
    await build(berth, await contextTar('FROM busybox\nENV W=1\nRUN true\n'));
    const ctx = await longBuildContext(steps);
    gc?.();
    const base = process.memoryUsage();
    let rss = base.rss;
    let heap = base.heapUsed;
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      rss = Math.max(rss, m.rss);
      heap = Math.max(heap, m.heapUsed);
    }, 50);
    let ms;
    try {
      ms = await timeMs(() => build(berth, ctx));
    } finally {
      clearInterval(timer);
    }
    gc?.();
    return { ms, rss: rss - base.rss, heap: heap - base.heapUsed, kept: gc ? process.memoryUsage().heapUsed - base.heapUsed : null };
  } finally {
    await berth.close();
    t.cleanup();
    removeCgroupParent(cgroupParent);
  }
}

/** buildMemoryOnce in a fresh Node process with --expose-gc. */
async function buildMemoryInChild(steps: number): Promise<BuildMemory> {
  const code = `const { buildMemoryOnce } = await import(${JSON.stringify(import.meta.url)}); console.log(JSON.stringify(await buildMemoryOnce(${steps})));`;
  const { stdout } = await execFileP(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', code], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as BuildMemory;
}

async function buildMemory(): Promise<Row[]> {
  const rows: Row[] = [];
  let first: { steps: number; rss: number } | undefined;
  for (const steps of MEM_STEPS) {
    const m = await buildMemoryInChild(steps);
    first ??= { steps, rss: m.rss };
    rows.push({
      name: `build memory: ${steps} steps (ENV, RUN true every ${RUN_EVERY}), ${fmtMs(m.ms)}`,
      berth: `peak RSS +${MiB(m.rss)}`,
      baseline: `peak heap +${MiB(m.heap)}, kept after GC +${m.kept === null ? '? (no --expose-gc)' : MiB(m.kept)}; ${first.steps} steps: +${MiB(first.rss)}`,
      ratio: `${(m.rss / first.rss).toFixed(2)}×`,
      target: 'no growth with the step count beyond what is kept (issue #16: +69 / +146 / +215 MiB at 1,000 / 3,000 / 10,000)',
    });
  }
  return rows;
}

async function buildCache(): Promise<Row[]> {
  const t = tempRoot('bcache');
  const cgroupParent = `berth-bench-${path.basename(t.root)}`;
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent });
  try {
    const ctx = await longBuildContext(STEPS);
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    const buildMs = await timeMs(() => build(berth, ctx));
    clearInterval(rssTimer);
    const images = await timeMs(() => berth.listImages());
    const all = await timeMs(() => berth.listImages({ all: true }));
    const count = (await berth.listImages({ all: true })).length;
    let pruned = 0;
    let worstPs = 0;
    const pruneMs = await timeMs(async () => {
      worstPs = await worstLatencyDuring(berth, async () => {
        pruned = (await berth.pruneBuilder()).CachesDeleted.length;
      });
    });
    return [
      { name: `build: ${STEPS} steps (ENV, RUN true every ${RUN_EVERY})`, berth: fmtMs(buildMs), baseline: `peak RSS +${((peakRss - rssBefore) / 2 ** 20).toFixed(0)} MiB`, ratio: '', target: 'bounded memory (10,000 steps: 4 min 37 s, 900 MB)' },
      { name: `docker images after it (${count} images)`, berth: fmtMs(images), baseline: `images -a: ${fmtMs(all)}`, ratio: '', target: 'well under 1 s (10,000: 45-59 s before)' },
      { name: `docker builder prune (${pruned} images)`, berth: fmtMs(pruneMs), baseline: `worst docker ps meanwhile: ${fmtMs(worstPs)}`, ratio: '', target: '< 30 s for 10,000 (> 25 min before)' },
    ];
  } finally {
    await berth.close();
    t.cleanup();
    removeCgroupParent(cgroupParent);
  }
}

/** BENCH_SCALE_PARTS=run,build,mem (default run,build: mem's 10,000-step build takes many minutes). */
export async function scaleBenchmarks(): Promise<Row[]> {
  const parts = (process.env.BENCH_SCALE_PARTS ?? 'run,build').split(',');
  return [
    ...(parts.includes('run') ? await runDetached() : []),
    ...(parts.includes('build') ? await buildCache() : []),
    ...(parts.includes('mem') ? await buildMemory() : []),
  ];
}
