// Builder benchmarks (issue 6): the 5-step build of docker_build_cold_output.txt cold and fully cached
// (Docker's classic builder here: 475 ms and 61 ms), a COPY of 10,000 small files (20 MB), and a
// 200 MB layer commit against `tar -c DIR | gzip -1 | sha256sum` on the same data.
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { Berth } from '@berth/runtime';
import { commitSnapshotLayer } from '../native-runtime/src/builder/executor/layer.ts';
import { fmtBytes, fmtMs, median, tempRoot, timeMs, type Row } from './lib.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const BT = 'FROM busybox\nRUN echo a > /a\nCOPY f.txt /f.txt\nENV X=1\nWORKDIR /w\nCMD ["cat", "/a"]\n';

async function contextTar(files: Array<{ name: string; body: Buffer | string }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const f of files) await new Promise<void>((res, rej) => pack.entry({ name: f.name, mode: 0o644, mtime: new Date(1700000000000) }, f.body, (e) => (e ? rej(e) : res())));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Runs one build to its end; throws on an error line. */
async function build(berth: Berth, ctx: Buffer, opts: Record<string, unknown>): Promise<string> {
  const s = await berth.buildImage(Readable.from([ctx]), opts);
  let raw = '';
  for await (const c of s) raw += c.toString();
  const err = /"error":"((?:[^"\\]|\\.)*)"/.exec(raw);
  if (err) throw new Error(`build failed: ${err[1]}`);
  return raw;
}

async function fiveStep(berth: Berth): Promise<Row[]> {
  const ctx = await contextTar([
    { name: 'Dockerfile', body: BT },
    { name: 'f.txt', body: 'hello world' },
  ]);
  await build(berth, ctx, { t: 'bt' }); // warm-up: page cache, first snapshot of busybox
  const cold: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    cold.push(await timeMs(() => build(berth, ctx, { t: 'bt', nocache: true })));
    cached.push(await timeMs(() => build(berth, ctx, { t: 'bt' })));
  }
  const c = median(cold);
  const h = median(cached);
  return [
    { name: `build: 5-step Dockerfile, cold (nocache, median of ${RUNS})`, berth: fmtMs(c), baseline: '475 ms (docker 20.10 classic builder)', ratio: `${(c / 475).toFixed(2)}×`, target: '≤ 150 ms' },
    { name: `build: 5-step Dockerfile, fully cached (median of ${RUNS})`, berth: fmtMs(h), baseline: '61 ms (docker 20.10 classic builder)', ratio: `${(h / 61).toFixed(2)}×`, target: '≤ 20 ms' },
  ];
}

async function copyManyFiles(berth: Berth): Promise<Row> {
  const files: Array<{ name: string; body: Buffer }> = [{ name: 'Dockerfile', body: Buffer.from('FROM busybox\nCOPY files /files\n') }];
  for (let i = 0; i < 10_000; i++) files.push({ name: `files/d${Math.floor(i / 100)}/f${i}`, body: randomBytes(2048) });
  const ctx = await contextTar(files);
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, Math.floor(RUNS / 3)); i++) times.push(await timeMs(() => build(berth, ctx, { nocache: true })));
  // Baseline: the same files extracted and copied by tar on the same disk.
  const dir = fs.mkdtempSync('/var/tmp/berth-bench-copy-');
  fs.writeFileSync(path.join(dir, 'ctx.tar'), ctx);
  const base: number[] = [];
  for (let i = 0; i < 3; i++) {
    base.push(await timeMs(() => execSync(`rm -rf x y && mkdir x y && tar -xf ctx.tar -C x && cp -a x/files y/ && sync -f y`, { cwd: dir })));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const b = median(times);
  const t = median(base);
  return {
    name: 'build: COPY of 10,000 files (20 MB), cold, whole build',
    berth: fmtMs(b),
    baseline: `${fmtMs(t)} (tar -x + cp -a)`,
    ratio: `${(b / t).toFixed(2)}×`,
    target: 'report',
  };
}

async function layerCommit(berth: Berth): Promise<Row> {
  const c = await berth.ready();
  const snaps = c.stores.snapshots;
  const key = `bench-commit-${Date.now()}`;
  await snaps.prepare(key);
  const upper = await snaps.fsPath(key);
  // 200 MB: 200 files of 1 MiB, half random (incompressible), half text-like (compressible)
  for (let i = 0; i < 200; i++) {
    const body = i % 2 ? randomBytes(1 << 20) : Buffer.from('berth layer commit benchmark line\n'.repeat((1 << 20) / 34 + 1)).subarray(0, 1 << 20);
    fs.mkdirSync(path.join(upper, `d${i % 10}`), { recursive: true });
    fs.writeFileSync(path.join(upper, `d${i % 10}`, `f${i}`), body);
  }
  const base = await timeMs(() => execSync(`tar -c . | gzip -1 | sha256sum`, { cwd: upper, stdio: ['ignore', 'pipe', 'ignore'] }));
  let size = 0;
  const ms = await timeMs(async () => {
    const l = await commitSnapshotLayer(c.stores, key, undefined);
    size = l!.tarSize;
  });
  const mbps = (n: number, t: number) => `${(n / (1 << 20) / (t / 1000)).toFixed(0)} MiB/s`;
  return {
    name: `commit: ${fmtBytes(size)} layer (diff + tar + gzip -1 + both digests + snapshot commit)`,
    berth: `${fmtMs(ms)} (${mbps(size, ms)})`,
    baseline: `${fmtMs(base)} (tar -c | gzip -1 | sha256sum)`,
    ratio: `${(ms / base).toFixed(2)}×`,
    target: 'report',
  };
}

export async function buildBenchmarks(): Promise<Row[]> {
  const t = tempRoot('build');
  const cgroupParent = `berth-bench-${path.basename(t.root)}`;
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent });
  try {
    await berth.ping();
    const rows = await fiveStep(berth);
    rows.push(await copyManyFiles(berth));
    rows.push(await layerCommit(berth));
    return rows;
  } finally {
    await berth.close();
    for (const ctrl of fs.readdirSync('/sys/fs/cgroup')) {
      const d = path.join('/sys/fs/cgroup', ctrl, cgroupParent);
      try {
        for (const x of fs.readdirSync(d, { withFileTypes: true })) if (x.isDirectory()) fs.rmdirSync(path.join(d, x.name));
        fs.rmdirSync(d);
      } catch {
        /* not there */
      }
    }
    t.cleanup();
  }
}

// `node --import tsx bench/build.ts` runs this suite alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib.ts');
  printTable(await buildBenchmarks());
}
