// Registry benchmarks (issue 7, Ship): push a debian:bookworm-sized image to, and pull it (with unpacking)
// from, Debian's docker-registry on 127.0.0.1, side by side with skopeo copying the same image.
//
// The image: `debootstrap --variant=minbase bookworm` from apt's configured mirror, cached as a tar in
// /var/tmp/berth-bench-debian/rootfs.tar. Without debootstrap or the mirror, a rootfs made from the host's
// /usr stands in (the row names say which was used). Every run uses a fresh registry and fresh roots, so
// nothing is ever "already there".
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Berth } from '@berth/runtime';
import { startRegistry } from '../native-runtime/test/support/registry-server.ts';
import { fmtBytes, fmtMs, median, tempRoot, timeMs, type Row } from './lib.ts';

const RUNS = Number(process.env.BENCH_REGISTRY_RUNS ?? 3);
const CACHE = '/var/tmp/berth-bench-debian';

interface Rootfs {
  tar: string;
  label: string;
}

function aptMirror(): string | undefined {
  const files = ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d').map((f) => path.join('/etc/apt/sources.list.d', f))];
  for (const f of files) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822 && !deb822[1]!.includes('security')) return deb822[1];
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (line) return line[1];
  }
  return undefined;
}

function listDir(d: string): string[] {
  try {
    return fs.readdirSync(d);
  } catch {
    return [];
  }
}

/** The cached debootstrap rootfs tar, made on first use; else a rootfs from the host's /usr. */
function benchRootfs(): Rootfs {
  const tar = path.join(CACHE, 'rootfs.tar');
  if (fs.existsSync(tar)) return { tar, label: 'debian:bookworm (debootstrap)' };
  fs.mkdirSync(CACHE, { recursive: true });
  const mirror = aptMirror();
  const dir = path.join(CACHE, 'rootfs');
  if (fs.existsSync('/usr/sbin/debootstrap') && mirror) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      execFileSync('/usr/sbin/debootstrap', ['--variant=minbase', 'bookworm', dir, mirror], { stdio: 'ignore' });
      fs.rmSync(path.join(dir, 'var/lib/apt/lists'), { recursive: true, force: true });
      fs.mkdirSync(path.join(dir, 'var/lib/apt/lists/partial'), { recursive: true });
      execFileSync('tar', ['--numeric-owner', '-C', dir, "--exclude=./dev/*", '-cf', tar, '.']); // no device nodes in a layer
      return { tar, label: 'debian:bookworm (debootstrap)' };
    } catch (e) {
      console.error(`debootstrap failed (${(e as Error).message}); using a rootfs from the host's /usr`);
    }
  }
  const hostTar = path.join(CACHE, 'host-usr.tar');
  if (!fs.existsSync(hostTar)) execFileSync('tar', ['--numeric-owner', '-C', '/', '-cf', hostTar, 'usr/bin', 'usr/lib/x86_64-linux-gnu', 'usr/share/perl']);
  return { tar: hostTar, label: 'host /usr rootfs (no debootstrap)' };
}

async function drain(s: NodeJS.ReadableStream): Promise<Record<string, unknown>[]> {
  let text = '';
  for await (const c of s) text += c.toString();
  const lines = text.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const err = lines.find((l) => l['error']);
  if (err) throw new Error(String(err['error']));
  return lines;
}

function skopeo(args: string[]): void {
  execFileSync('skopeo', ['--insecure-policy', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function registryBenchmarks(): Promise<Row[]> {
  const offlineBefore = process.env.BERTH_OFFLINE;
  process.env.BERTH_OFFLINE = '1'; // loopback only: the registry is on 127.0.0.1
  const rootfs = benchRootfs();
  const cgroupParent = `berth-bench-reg-${process.pid}`;
  const src = tempRoot('reg-src');
  const roots: Array<{ cleanup(): void }> = [src];
  const source = new Berth({ root: src.root, run: src.run, cgroupParent });
  const work = fs.mkdtempSync('/var/tmp/berth-bench-reg-work-');
  try {
    // The image, as one gzip layer (docker import of the rootfs).
    const repo = 'bench/debian';
    const tag = 'bookworm';
    await drain(await source.importImage(fs.createReadStream(rootfs.tar), { repo, tag }));
    const inspect = await source.getImage(`${repo}:${tag}`).inspect();
    // skopeo's source: the same image as an OCI layout directory (Berth's save tar is one).
    const layoutDir = path.join(work, 'layout');
    fs.mkdirSync(layoutDir);
    const saved = path.join(work, 'saved.tar');
    await new Promise<void>((resolve, reject) => {
      void source.getImage(`${repo}:${tag}`).get().then((s) => {
        const out = fs.createWriteStream(saved);
        (s as Readable).pipe(out).on('finish', () => resolve()).on('error', reject);
        s.on('error', reject);
      }, reject);
    });
    execFileSync('tar', ['-C', layoutDir, '-xf', saved]);
    const layerBytes = fs.statSync(path.join(layoutDir, 'blobs/sha256', findLayerBlob(layoutDir))).size;

    const pushB: number[] = [];
    const pushS: number[] = [];
    const pullB: number[] = [];
    const pullS: number[] = [];
    // Berth push, then Berth pull (download + verify + unpack) into a fresh root.
    const berthRun = async (): Promise<void> => {
      const reg = await startRegistry();
      try {
        const ref = `${reg.host}/${repo}:${tag}`;
        await source.getImage(`${repo}:${tag}`).tag({ repo: `${reg.host}/${repo}`, tag });
        pushB.push(await timeMs(async () => drain(await source.getImage(ref).push())));
        const dst = tempRoot('reg-dst');
        roots.push(dst); // removed at the end, not between runs (see below)
        const b = new Berth({ root: dst.root, run: dst.run, cgroupParent });
        await b.ping(); // the starter image, outside the timing
        pullB.push(await timeMs(async () => drain(await b.pull(ref))));
        const got = await b.getImage(ref).inspect();
        if (got.Id !== inspect.Id) throw new Error(`pulled ${got.Id}, pushed ${inspect.Id}`);
        await b.close();
        await source.getImage(ref).remove().catch(() => {});
      } finally {
        await reg.stop();
      }
    };
    // skopeo: the same layout pushed to a fresh registry, then copied back out and unpacked with tar.
    const skopeoRun = async (i: number): Promise<void> => {
      const reg = await startRegistry();
      try {
        const dest = `docker://${reg.host}/${repo}:${tag}`;
        pushS.push(await timeMs(() => skopeo(['copy', '--dest-tls-verify=false', `oci:${layoutDir}`, dest])));
        const out = path.join(work, `pulled-${i}`);
        const unpacked = path.join(work, `unpacked-${i}`);
        fs.mkdirSync(unpacked);
        pullS.push(
          await timeMs(() => {
            skopeo(['copy', '--src-tls-verify=false', dest, `oci:${out}`]);
            execFileSync('tar', ['-C', unpacked, '-xzf', path.join(out, 'blobs/sha256', findLayerBlob(out))]);
          }),
        );
      } finally {
        await reg.stop();
      }
    };
    // Interleaved, alternating which goes first. Nothing unpacked is deleted until every run is done: on
    // ext4 without a journal (this machine's), removing a tree makes creating files next to it slow for
    // minutes (freed inodes are skipped, one by one, on every create), and that would be charged to
    // whichever pull came next.
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        await berthRun();
        await skopeoRun(i);
      } else {
        await skopeoRun(i);
        await berthRun();
      }
    }
    const load = os.loadavg()[0]!.toFixed(1);
    const samples = (xs: number[]): string => xs.map((x) => fmtMs(x)).join(', ');
    console.error(`registry: Berth pull ${samples(pullB)}; skopeo + tar ${samples(pullS)}; Berth push ${samples(pushB)}; skopeo push ${samples(pushS)}; load ${load}`);
    const rootfsMiB = fmtBytes(fs.statSync(rootfs.tar).size);
    const what = `${rootfs.label}, ${rootfsMiB} rootfs, ${fmtBytes(layerBytes)} gzip layer; median of ${RUNS}, interleaved, load ${load}`;
    const pb = median(pushB);
    const ps = median(pushS);
    const lb = median(pullB);
    const ls = median(pullS);
    return [
      { name: `registry push: ${what}`, berth: fmtMs(pb), baseline: `${fmtMs(ps)} skopeo copy oci:→docker://`, ratio: `${(pb / ps).toFixed(2)}×`, target: '≤ 2.7 s; docker push 6.2 s, skopeo 2.7 s' },
      { name: `registry pull incl. unpack: ${what}`, berth: fmtMs(lb), baseline: `${fmtMs(ls)} skopeo copy + tar -xzf`, ratio: `${(lb / ls).toFixed(2)}×`, target: '≤ 3.0 s; docker pull 5.3 s, podman 3.8 s' },
    ];
  } finally {
    await source.close();
    for (const r of roots) r.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
    removeCgroupParent(cgroupParent);
    if (offlineBefore === undefined) delete process.env.BERTH_OFFLINE;
    else process.env.BERTH_OFFLINE = offlineBefore;
  }
}

/** The one layer blob of a single-image OCI layout (the largest blob). */
function findLayerBlob(layout: string): string {
  const dir = path.join(layout, 'blobs/sha256');
  return fs
    .readdirSync(dir)
    .map((f) => ({ f, size: fs.statSync(path.join(dir, f)).size }))
    .sort((a, b) => b.size - a.size)[0]!.f;
}

function removeCgroupParent(parent: string): void {
  for (const ctrl of listDir('/sys/fs/cgroup')) {
    try {
      fs.rmdirSync(path.join('/sys/fs/cgroup', ctrl, parent));
    } catch {
      /* never created: the bench runs no container */
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib.ts');
  printTable(await registryBenchmarks());
}
