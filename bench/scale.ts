// Scale benchmarks (issue #16 items 14 and 15):
// - `run -d` (create + start of a detached container) with one container and with 200 containers running,
//   on the default bridge and on a user-defined network (names there come from the embedded DNS server,
//   so a create no longer rewrites one file per peer). Target: ≤ 1.2× at 200.
// - a long build (BENCH_BUILD_STEPS generated ENV steps, a `RUN true` every BENCH_BUILD_RUN_EVERY), then
//   `docker images`, `docker images -a` and `docker builder prune`, with the worst latency of a
//   `docker ps` polled meanwhile. Issue figures for 10,000 steps: images 45-59 s, prune > 25 min.
//   BENCH_SCALE_PARTS=run or =build runs one half.
import { randomInt } from 'node:crypto';
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

async function buildCache(): Promise<Row[]> {
  const t = tempRoot('bcache');
  const cgroupParent = `berth-bench-${path.basename(t.root)}`;
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent });
  try {
    const lines = ['FROM busybox'];
    for (let i = 1; i < STEPS; i++) lines.push(i % RUN_EVERY === 0 ? `RUN true` : `ENV V${i}=${i}`);
    const ctx = await contextTar(lines.join('\n') + '\n');
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    const buildMs = await timeMs(async () => {
      const s = await berth.buildImage(Readable.from([ctx]), {});
      let tail = '';
      for await (const c of s) tail = (tail + c.toString()).slice(-4000);
      if (/"error"/.test(tail)) throw new Error(`build failed: ${tail}`);
    });
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

/** BENCH_SCALE_PARTS=run,build (default both). */
export async function scaleBenchmarks(): Promise<Row[]> {
  const parts = (process.env.BENCH_SCALE_PARTS ?? 'run,build').split(',');
  return [...(parts.includes('run') ? await runDetached() : []), ...(parts.includes('build') ? await buildCache() : [])];
}
