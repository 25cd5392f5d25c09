// Storage drivers (issue #20), side by side in one run, each on a loop-mounted filesystem of its kind
// (overlay on ext4, btrfs on btrfs, vfs on ext4): create+start (round-robin over the drivers), a cold
// and a cached build, a commit of 1,000 new files, and unpacking an image into an empty snapshot store.
// Target: btrfs's create+start ≤ 1.3× overlay's.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { Berth } from '@berth/runtime';
import { openImageStores } from '../native-runtime/src/images/open.ts';
import { chainIds, openSnapshotter, unpackImage, type DriverName } from '../native-runtime/src/snapshots/index.ts';
import { fmtMs, median, removeCgroupParent, timeMs, type Row } from './lib.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const DRIVERS: Array<[DriverName, 'ext4' | 'btrfs']> = [
  ['overlay', 'ext4'],
  ['btrfs', 'btrfs'],
  ['vfs', 'ext4'],
];

function loopFs(kind: 'ext4' | 'btrfs'): { dir: string; cleanup(): void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `berth-bench-${kind}-`));
  const img = path.join(base, 'fs.img');
  const dir = path.join(base, 'mnt');
  fs.mkdirSync(dir);
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 1024 << 20);
  execFileSync(kind === 'btrfs' ? 'mkfs.btrfs' : 'mkfs.ext4', kind === 'btrfs' ? ['-q', img] : ['-q', '-F', img]);
  execFileSync('mount', ['-o', 'loop', img, dir]);
  return {
    dir,
    cleanup() {
      execFileSync('umount', ['-l', dir]);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

async function context(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function build(berth: Berth, dockerfile: string, tag: string): Promise<void> {
  let out = '';
  for await (const c of await berth.buildImage(Readable.from([await context({ Dockerfile: dockerfile })]), { t: tag })) out += c.toString();
  if (out.includes('errorDetail')) throw new Error(out);
}

interface Figures {
  start: number;
  cold: number;
  cached: number;
  commit: number;
  unpack: number;
}

interface Engine {
  driver: DriverName;
  root: string;
  berth: Berth;
  parent: string;
  cleanup(): void;
}

function openEngine(driver: DriverName, kind: 'ext4' | 'btrfs'): Engine {
  const f = loopFs(kind);
  const parent = `berth-bench-storage-${driver}-${process.pid}`;
  const berth = new Berth({ root: f.dir, run: path.join(f.dir, 'run'), cgroupParent: parent, storageDriver: driver });
  return { driver, root: f.dir, berth, parent, cleanup: f.cleanup };
}

async function closeEngine(e: Engine): Promise<void> {
  for (const x of await e.berth.listContainers({ all: true }).catch(() => [])) await e.berth.getContainer(x.Id).remove({ force: true }).catch(() => {});
  await e.berth.close();
  removeCgroupParent(e.parent);
  e.cleanup();
}

function runRm(berth: Berth): Promise<number> {
  return timeMs(async () => {
    const c = await berth.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none', AutoRemove: true } });
    const gone = c.wait({ condition: 'removed' });
    await c.start();
    await gone;
  });
}

/** Builds, commit and unpack on one driver. */
async function measure(e: Engine): Promise<Omit<Figures, 'start'>> {
  const { berth, driver } = e;
  const df = `FROM busybox\nRUN echo ${driver} > /stamp && mkdir /data && for n in $(seq 1 200); do echo $n > /data/$n; done\n`;
  const cold = await timeMs(() => build(berth, df, `bench-${driver}`));
  const cached = await timeMs(() => build(berth, df, `bench-${driver}`));
  // Median of three commits, each of a container with its own 1,000 files (so no layer is shared).
  const commits: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', `mkdir /many && for n in $(seq 1 1000); do echo $n-${i} > /many/f$n; done`], HostConfig: { NetworkMode: 'none' } });
    await c.start();
    await c.wait();
    commits.push(await timeMs(() => c.commit({ repo: 'bench-commit', tag: `${driver}-${i}` })));
    await c.remove();
  }
  const unpacks: number[] = [];
  for (let i = 0; i < 3; i++) unpacks.push(await unpackTime(driver, e.root, i));
  return { cold, cached, commit: median(commits), unpack: median(unpacks) };
}

/** The committed image (busybox + 1,000 files) into an empty snapshot store of the same driver. */
async function unpackTime(driver: DriverName, root: string, i: number): Promise<number> {
  const stores = await openImageStores(root, { driver });
  const rec = await stores.images.find(`bench-commit:${driver}-${i}`);
  if (!rec) throw new Error('the committed image is missing');
  const snaps = await openSnapshotter(path.join(root, `unpack-bench-${i}`), driver);
  const ms = await timeMs(() => unpackImage(snaps, stores.content, rec.layers.map((l, i) => ({ digest: l.digest, diffId: rec.diffIds[i]! }))));
  for (const c of [...chainIds(rec.diffIds)].reverse()) await snaps.remove(c);
  return ms;
}

export async function storageBenchmarks(): Promise<Row[]> {
  const got = new Map<DriverName, Figures>();
  const engines: Engine[] = [];
  try {
    for (const [driver, kind] of DRIVERS) engines.push(openEngine(driver, kind));
    // Starts round-robin over the drivers, so each sees the same load on this shared machine.
    const starts = new Map<DriverName, number[]>(engines.map((e) => [e.driver, []]));
    for (const e of engines) await runRm(e.berth);
    for (let n = 0; n < RUNS; n++) for (const e of engines) starts.get(e.driver)!.push(await runRm(e.berth));
    for (const e of engines) got.set(e.driver, { start: median(starts.get(e.driver)!), ...(await measure(e)) });
  } finally {
    for (const e of engines) await closeEngine(e).catch(() => {});
  }
  const ov = got.get('overlay')!;
  const rows: Row[] = [];
  const row = (what: string, key: keyof Figures, target = ''): void => {
    for (const d of ['btrfs', 'vfs'] as const) {
      const v = got.get(d)![key];
      rows.push({
        name: `storage: ${what}, ${d}`,
        berth: fmtMs(v),
        baseline: `${fmtMs(ov[key])} (overlay, same run)`,
        ratio: `${(v / ov[key]).toFixed(2)}×`,
        target: d === 'btrfs' ? target : '',
      });
    }
  };
  row(`run --rm true (median of ${RUNS})`, 'start', '≤ 1.3× overlay');
  row('cold build (RUN, 200 files)', 'cold');
  row('cached build', 'cached');
  row('commit of 1,000 new files (median of 3)', 'commit');
  row('unpack busybox + 1,000-file layer (median of 3)', 'unpack');
  return rows;
}
