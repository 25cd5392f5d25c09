// Layer inspector benchmarks (issue 9): the full analysis of a ~200 MB debian image, cold (no index
// cached: walk + hash of every file of the snapshot, replay, summary) and warm (index files on disk, a
// fresh analyzer), then trees of the top layer: the first query (builds the tree), a repeat, a filtered
// one, and a big directory.
//
// Data: the debootstrap rootfs tar another bench caches at /var/tmp/berth-bench-debian/rootfs.tar,
// imported with berth.importImage. Without it, a tar of parts of the host's /usr of similar size
// (said so in the row names).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Berth } from '../native-runtime/src/berth.ts';
import { fmtBytes, fmtMs, median, removeCgroupParent, tempRoot, timeMs, type Row } from './lib.ts';

const RUNS = Number(process.env.BENCH_ANALYSIS_RUNS ?? 5);
const DEBIAN_TAR = '/var/tmp/berth-bench-debian/rootfs.tar';
const HOST_PATHS = ['usr/bin', 'usr/sbin', 'usr/share/perl', 'usr/lib/python3.11', 'usr/lib/x86_64-linux-gnu/perl', 'usr/lib/x86_64-linux-gnu/dri'];

function sourceTar(tmp: string): { file: string; label: string } {
  if (fs.existsSync(DEBIAN_TAR)) return { file: DEBIAN_TAR, label: 'debian rootfs' };
  const out = path.join(tmp, 'host-usr.tar');
  execFileSync('tar', ['-cf', out, '-C', '/', ...HOST_PATHS.filter((p) => fs.existsSync(path.join('/', p)))]);
  return { file: out, label: 'host /usr parts (no debian tar cached)' };
}

export async function analysisBenchmarks(): Promise<Row[]> {
  const t = tempRoot('analysis');
  const cgroupParent = `berth-bench-${path.basename(t.root)}`;
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent });
  try {
    await berth.ping();
    const src = sourceTar(t.root);
    const progress = await berth.importImage(src.file, { repo: 'bench/inspect', tag: 'latest' });
    for await (const _ of progress) void _;
    const an = await berth.analyzer();
    const cacheDir = path.join(t.root, 'analysis');

    const cold: number[] = [];
    let analysis = await an.analyze('bench/inspect');
    for (let i = 0; i < RUNS; i++) {
      an.dropMemory();
      fs.rmSync(cacheDir, { recursive: true, force: true });
      cold.push(await timeMs(async () => (analysis = await an.analyze('bench/inspect'))));
    }
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      an.dropMemory();
      warm.push(await timeMs(() => an.analyze('bench/inspect')));
    }
    // Trees of the top layer, after the analysis: the first query builds the tree.
    const firstTree: number[] = [];
    const againTree: number[] = [];
    const filtered: number[] = [];
    const bigDir: number[] = [];
    const files = analysis.layers.reduce((a, l) => a + l.fileCount, 0);
    const biggest = (await an.imageTree('bench/inspect', -1, { path: '/usr/lib', sort: 'size', limit: 1 })).node.children?.[0]?.path ?? '/usr/lib';
    for (let i = 0; i < RUNS; i++) {
      an.dropMemory();
      await an.analyze('bench/inspect');
      firstTree.push(await timeMs(() => an.imageTree('bench/inspect', -1, { mode: 'aggregated', depth: 1 })));
      againTree.push(await timeMs(() => an.imageTree('bench/inspect', -1, { mode: 'layer', depth: 2, sort: 'size' })));
      filtered.push(await timeMs(() => an.imageTree('bench/inspect', -1, { filter: 'python', depth: 4 })));
      bigDir.push(await timeMs(() => an.imageTree('bench/inspect', -1, { path: biggest, limit: 500 })));
    }
    const what = `${src.label}, ${fmtBytes(analysis.sizeBytes)}, ${files} files`;
    const row = (name: string, xs: number[], target: string): Row => ({ name, berth: fmtMs(median(xs)), baseline: 'n/a (no dive here)', ratio: '-', target });
    return [
      row(`analysis cold (${what})`, cold, '≤ 1 s'),
      row('analysis warm (index cached on disk, new process state)', warm, 'report'),
      row('tree, first query of the top layer (builds the tree)', firstTree, '≤ 50 ms'),
      row('tree, "this layer only", 2 levels, by size', againTree, '≤ 50 ms'),
      row('tree, filter "python", 4 levels', filtered, '≤ 50 ms'),
      row(`tree, biggest dir ${biggest} (500 entries)`, bigDir, '≤ 50 ms'),
    ];
  } finally {
    await berth.close();
    try {
      removeCgroupParent(cgroupParent);
    } catch {
      /* never created */
    }
    t.cleanup();
  }
}

// `node --import tsx bench/analysis.ts` runs this suite alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib.ts');
  printTable(await analysisBenchmarks());
}
