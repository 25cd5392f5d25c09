// User namespaces (issue #19): `run --rm true` under auto beside host in the same run, and the first
// start of a new image under each. Under auto the rootfs arrives through idmapped mounts, so nothing is
// copied or chowned on the start path; the target is ≤ 1.25× host.
import { Berth } from '@berth/runtime';
import { fmtMs, median, removeCgroupParent, tempRoot, timeMs, type Row } from './lib.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const FIRST_RUNS = Math.max(5, Math.floor(RUNS / 3));

async function runRm(berth: Berth, mode: string, image = 'busybox'): Promise<number> {
  return timeMs(async () => {
    const c = await berth.createContainer({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none', AutoRemove: true, UsernsMode: mode } });
    const exited = c.wait({ condition: 'removed' });
    await c.start();
    await exited;
  });
}

/** A new image (one fresh layer on busybox) that no container has used yet. */
async function freshImage(berth: Berth, tag: string): Promise<string> {
  const c = await berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', `head -c 1048576 /dev/urandom > /blob-${tag}`], HostConfig: { NetworkMode: 'none', UsernsMode: 'host' } });
  await c.start();
  await c.wait();
  await c.commit({ repo: 'userns-bench', tag });
  await c.remove();
  return `userns-bench:${tag}`;
}

/**
 * The fallback where the storage refuses idmapped mounts (chowned layer copies, forced here with
 * usernsIdmap: 'off' on a filesystem that could idmap) beside idmapped mounts, both under auto, in one
 * run. A copy goes with the last container that stacks it, so each `run --rm` copies busybox's layer.
 */
async function fallbackRows(): Promise<Row[]> {
  const a = tempRoot('userns-idmap');
  const b = tempRoot('userns-copy');
  const parent = `berth-bench-userns-fb-${process.pid}`;
  const idmapped = new Berth({ root: a.root, run: a.run, cgroupParent: parent, userns: 'auto' });
  const copied = new Berth({ root: b.root, run: b.run, cgroupParent: parent, userns: 'auto', usernsIdmap: 'off' });
  try {
    await runRm(idmapped, 'auto');
    await runRm(copied, 'auto');
    const im: number[] = [];
    const cp: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      im.push(await runRm(idmapped, 'auto'));
      cp.push(await runRm(copied, 'auto'));
    }
    const fim: number[] = [];
    const fcp: number[] = [];
    for (let i = 0; i < FIRST_RUNS; i++) {
      const x = async () => fim.push(await runRm(idmapped, 'auto', await freshImage(idmapped, `fi${i}`)));
      const y = async () => fcp.push(await runRm(copied, 'auto', await freshImage(copied, `fc${i}`)));
      if (i % 2) await y().then(x);
      else await x().then(y);
    }
    const row = (name: string, c: number[], i: number[]): Row => ({
      name,
      berth: fmtMs(median(c)),
      baseline: `${fmtMs(median(i))} (idmapped, same run)`,
      ratio: `${(median(c) / median(i)).toFixed(2)}×`,
      target: 'none (cost of the fallback)',
    });
    return [
      row(`userns fallback: run --rm true, auto with chowned copies (median of ${RUNS})`, cp, im),
      row(`userns fallback: first start of a new image (+1 MiB layer), copies (median of ${FIRST_RUNS})`, fcp, fim),
    ];
  } finally {
    for (const x of [idmapped, copied]) {
      for (const c of await x.listContainers({ all: true }).catch(() => [])) await x.getContainer(c.Id).remove({ force: true }).catch(() => {});
      await x.close();
    }
    removeCgroupParent(parent);
    a.cleanup();
    b.cleanup();
  }
}

export async function usernsBenchmarks(): Promise<Row[]> {
  const t = tempRoot('userns');
  const parent = `berth-bench-userns-${process.pid}`;
  const berth = new Berth({ root: t.root, run: t.run, cgroupParent: parent, userns: 'host' });
  try {
    await runRm(berth, 'host');
    await runRm(berth, 'auto');
    // Interleaved, so load from anything else on the machine hits both alike.
    const host: number[] = [];
    const auto: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      host.push(await runRm(berth, 'host'));
      auto.push(await runRm(berth, 'auto'));
    }
    const firstHost: number[] = [];
    const firstAuto: number[] = [];
    for (let i = 0; i < FIRST_RUNS; i++) {
      // Alternating which mode goes first, so neither always follows a commit's writeback.
      const h = async () => firstHost.push(await runRm(berth, 'host', await freshImage(berth, `h${i}`)));
      const a = async () => firstAuto.push(await runRm(berth, 'auto', await freshImage(berth, `a${i}`)));
      if (i % 2) await a().then(h);
      else await h().then(a);
    }
    const h = median(host);
    const a = median(auto);
    const fh = median(firstHost);
    const fa = median(firstAuto);
    return [
      {
        name: `userns: run --rm true, auto (median of ${RUNS})`,
        berth: fmtMs(a),
        baseline: `${fmtMs(h)} (host, same run)`,
        ratio: `${(a / h).toFixed(2)}×`,
        target: '≤ 1.25× host',
      },
      {
        name: `userns: first start of a new image, auto (median of ${FIRST_RUNS})`,
        berth: fmtMs(fa),
        baseline: `${fmtMs(fh)} (host, same run)`,
        ratio: `${(fa / fh).toFixed(2)}×`,
        target: '≤ 1.25× host (no layer copied)',
      },
      ...(await fallbackRows()),
    ];
  } finally {
    for (const c of await berth.listContainers({ all: true }).catch(() => [])) await berth.getContainer(c.Id).remove({ force: true }).catch(() => {});
    await berth.close();
    removeCgroupParent(parent);
    t.cleanup();
  }
}
