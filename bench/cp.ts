// docker cp at scale (issue #16 item 13): `docker cp - <ctr>:<dir>` of a tar of 200,000 empty files
// beside `docker import` of the same tar, both through the docker CLI against Berth's Engine API socket;
// the target is cp ≤ 2× import. With BENCH_CP_DOCKERD=1 (and Debian's docker.io installed) the same two
// are measured against dockerd in its own loopback-only network namespace, as engine-api.ts runs it.
// While the copy runs the container is never frozen: the freezer state is sampled and reported.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar-stream';
import { Berth } from '@berth/runtime';
import { startEngineApi } from '../server/engine-api/server.ts';
import { runCommand } from '../test/server/engine-api/test-env.ts';
import { startDockerd } from './engine-api.ts';
import { fmtMs, median, removeCgroupParent, tempRoot, type Row } from './lib.ts';

const FILES = Number(process.env.BENCH_CP_FILES ?? 200_000);
const PER_DIR = 1000;
const RUNS = Number(process.env.BENCH_CP_RUNS ?? 3);

/** A tar of FILES empty files in directories of PER_DIR (d0/f0 …), written to `file`. */
async function writeTar(file: string): Promise<void> {
  const pack = tar.pack();
  const out = fs.createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', () => resolve());
    out.on('error', reject);
  });
  (pack as unknown as NodeJS.ReadableStream).pipe(out);
  const mtime = new Date(1_700_000_000_000);
  for (let i = 0; i < FILES; i++) {
    if (i % PER_DIR === 0) pack.entry({ name: `d${i / PER_DIR}/`, type: 'directory', mode: 0o755, mtime });
    pack.entry({ name: `d${Math.floor(i / PER_DIR)}/f${i}`, mode: 0o644, mtime, size: 0 }, '');
    if (i % 5000 === 0) await new Promise((r) => setImmediate(r));
  }
  pack.finalize();
  await done;
}

interface Engine {
  name: string;
  host: string;
  dir: string;
}

const shell = (e: Engine, script: string) =>
  runCommand('sh', ['-c', script], { PATH: process.env['PATH'], HOME: e.dir, DOCKER_HOST: e.host, DOCKER_CONFIG: e.dir }, { timeoutMs: 1_800_000 });

async function must(e: Engine, script: string): Promise<number> {
  const r = await shell(e, script);
  if (r.code !== 0) throw new Error(`${e.name}: ${script} failed: ${r.stderr}`);
  return r.ms;
}

/** Medians of cp and import, interleaved; `frozen` samples the container's freezer during the copies. */
async function measure(e: Engine, tarFile: string, freezerOf?: (pid: number) => string): Promise<{ cp: number; imp: number; frozen: number; samples: number }> {
  await must(e, 'docker run -d --network none --name bench-cp busybox sleep 3600');
  const pid = Number((await shell(e, "docker inspect -f '{{.State.Pid}}' bench-cp")).stdout.trim());
  const cps: number[] = [];
  const imps: number[] = [];
  let frozen = 0;
  let samples = 0;
  for (let i = 0; i < RUNS; i++) {
    await must(e, `docker exec bench-cp mkdir /tmp/r${i}`);
    let polling = !!freezerOf;
    const poll = (async () => {
      while (polling) {
        samples++;
        if (fs.readFileSync(freezerOf!(pid), 'utf8').trim() !== 'THAWED') frozen++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    cps.push(await must(e, `docker cp - bench-cp:/tmp/r${i} < ${tarFile}`));
    polling = false;
    await poll;
    imps.push(await must(e, `docker import ${tarFile} bench-imp:${i}`));
    await must(e, `docker rmi bench-imp:${i} >/dev/null`);
  }
  const n = (await shell(e, `docker exec bench-cp sh -c 'ls /tmp/r0/d0 | wc -l'`)).stdout.trim();
  if (Number(n) !== Math.min(PER_DIR, FILES)) throw new Error(`${e.name}: cp left ${n} files in /tmp/r0/d0`);
  await must(e, 'docker rm -f bench-cp >/dev/null');
  return { cp: median(cps), imp: median(imps), frozen, samples };
}

function freezerPath(pid: number): string {
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /:freezer:/.test(l));
  if (line) return path.join('/sys/fs/cgroup/freezer', line.split(':')[2]!, 'freezer.state');
  const v2 = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))!;
  return path.join('/sys/fs/cgroup', v2.slice(3), 'cgroup.freeze');
}

export async function cpBenchmarks(): Promise<Row[]> {
  process.env['BERTH_OFFLINE'] = '1';
  const tmp = tempRoot('cp');
  const cgroupParent = `berth-bench-cp-${randomBytes(3).toString('hex')}`;
  const berth = new Berth({ root: tmp.root, run: tmp.run, cgroupParent });
  await berth.ping();
  const api = await startEngineApi({ engine: () => berth, socketPath: path.join(tmp.run, 'berth.sock') });
  const tarFile = path.join(tmp.root, 'files.tar');
  const dockerDir = fs.mkdtempSync('/var/tmp/berth-bench-cp-dockerd-');
  let dockerd: Awaited<ReturnType<typeof startDockerd>> = null;
  try {
    await writeTar(tarFile);
    const b: Engine = { name: 'berth', host: `unix://${api.socketPath}`, dir: fs.mkdtempSync(path.join(tmp.root, 'cli-')) };
    const rb = await measure(b, tarFile, (pid) => freezerPath(pid));
    const label = `${FILES.toLocaleString('en')} empty files, median of ${RUNS}`;
    const rows: Row[] = [
      {
        name: `docker CLI: cp - <ctr>:/dir of ${label} vs docker import of the same tar (container frozen in ${rb.frozen}/${rb.samples} samples)`,
        berth: fmtMs(rb.cp),
        baseline: `${fmtMs(rb.imp)} (Berth's own docker import)`,
        ratio: `${(rb.cp / rb.imp).toFixed(2)}×`,
        target: '≤ 2× import, never frozen',
      },
    ];
    if (process.env.BENCH_CP_DOCKERD === '1') {
      dockerd = await startDockerd(dockerDir);
      if (dockerd) {
        const d: Engine = { name: 'dockerd', host: dockerd.host, dir: dockerDir };
        const busybox = path.join(dockerDir, 'busybox.tar');
        await must(b, `docker save -o ${busybox} busybox`);
        await must(d, `docker load -i ${busybox} >/dev/null`);
        const rd = await measure(d, tarFile);
        rows.push({ name: `docker CLI: cp - <ctr>:/dir of ${label}`, berth: fmtMs(rb.cp), baseline: `${fmtMs(rd.cp)} (dockerd)`, ratio: `${(rb.cp / rd.cp).toFixed(2)}×`, target: '≤ dockerd' });
        rows.push({ name: `docker CLI: import of the same tar`, berth: fmtMs(rb.imp), baseline: `${fmtMs(rd.imp)} (dockerd)`, ratio: `${(rb.imp / rd.imp).toFixed(2)}×`, target: '≤ dockerd' });
      }
    }
    return rows;
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

// `tsx bench/cp.ts` runs this suite alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib.ts');
  printTable(await cpBenchmarks());
}
