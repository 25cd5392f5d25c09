// docker cp: stat, get and put on a container's filesystem.
// - Running: through /proc/<pid>/root, so the container's own mounts (volumes, binds) are seen at their
//   paths. The container is frozen for the duration (a process inside cannot swap a directory for a
//   symlink between our check and our use: CVE-2018-15664); get writes the tar to a spool file while
//   frozen and streams it afterwards, so a slow client never keeps the container frozen.
// - Stopped: the rootfs overlay is mounted for the operation and unmounted after. Volumes and binds
//   of a stopped container are not visible this way (only the rootfs).
// The caller holds the container's lock, so a start cannot race with the temporary mount.
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { CgroupDriver } from '../cgroups/types.js';
import type { ContainerRecord } from '../containers/record.js';
import type { PathStat } from '../engine/types.js';
import { badParameter, EngineError, forbidden } from '../errors.js';
import { mountOverlay, umount, MNT_DETACH } from '../native/index.js';
import type { Snapshotter } from '../snapshots/types.js';
import { randomHex } from '../util/ids.js';
import { cleanContainerPath, resolveInRoot } from './resolve.js';
import { pathStat } from './stat.js';
import { checkSpooled, extractSpooled, spoolArchive } from './tar-in.js';
import { pseudoDevices, tarPath } from './tar-out.js';

export interface ArchiveDeps {
  rec: ContainerRecord;
  /** containers/<id>: spool files go here. */
  dir: string;
  cgroups: CgroupDriver;
  snapshots: Snapshotter;
}

const notFound = (rec: ContainerRecord, p: string): EngineError =>
  new EngineError(404, `Could not find the file ${p} in container ${rec.cfg.name.slice(1)}`, { reason: 'no such file' });

/** Runs fn with the container's root on the host; pid is set when the container runs. */
async function withRoot<T>(d: ArchiveDeps, fn: (root: string, pid: number) => Promise<T>): Promise<T> {
  const st = d.rec.state.status;
  if (st === 'running' || st === 'paused') {
    const pid = d.rec.state.pid;
    const freeze = st === 'running';
    if (freeze) await d.cgroups.freeze(d.rec.cfg.id);
    try {
      return await fn(`/proc/${pid}/root`, pid);
    } finally {
      if (freeze) await d.cgroups.thaw(d.rec.cfg.id).catch(() => {});
    }
  }
  const m = await d.snapshots.mounts(d.rec.cfg.snapshotKey);
  const target = path.join(d.dir, `rootfs-${randomHex(4)}`);
  await fsp.mkdir(target, { mode: 0o700 });
  try {
    mountOverlay({ cwd: m.cwd, lower: m.lower, ...(m.upper ? { upper: m.upper } : {}), ...(m.work ? { work: m.work } : {}), target });
    try {
      return await fn(target, 0);
    } finally {
      umount(target, MNT_DETACH);
    }
  } finally {
    await fsp.rmdir(target).catch(() => {});
  }
}

/** lstat, except for the root itself: /proc/<pid>/root is a magic link to the container's root. */
function lstatIn(r: { inner: string; host: string }): Promise<Stats | null> {
  return (r.inner === '/' ? fsp.stat(r.host) : fsp.lstat(r.host)).catch(() => null);
}

async function statIn(d: ArchiveDeps, root: string, p: string): Promise<{ stat: PathStat; host: string; inner: string; isDir: boolean }> {
  const clean = cleanContainerPath(p);
  const followLast = /\/\.?$/.test(p) && clean !== '/';
  const r = await resolveInRoot(root, clean, followLast);
  const st = await lstatIn(r);
  if (!st) throw notFound(d.rec, p);
  let linkTarget = '';
  if (st.isSymbolicLink()) linkTarget = (await resolveInRoot(root, r.inner, true)).inner;
  const name = clean === '/' ? '/' : path.posix.basename(clean);
  return { stat: pathStat(name, st, linkTarget), host: r.host, inner: r.inner, isDir: st.isDirectory() };
}

export async function infoArchive(d: ArchiveDeps, p: string): Promise<PathStat> {
  if (!p) throw badParameter('path is required');
  return withRoot(d, async (root) => (await statIn(d, root, p)).stat);
}

/** The tar (as a stream of a spool file that deletes itself) and the stat of the path. */
export async function getArchive(d: ArchiveDeps, p: string): Promise<{ stream: Readable; stat: PathStat }> {
  if (!p) throw badParameter('path is required');
  const spool = path.join(d.dir, `get-${randomHex(6)}.tar`);
  try {
    const stat = await withRoot(d, async (root, pid) => {
      const s = await statIn(d, root, p);
      const name = s.stat.name === '/' ? '.' : s.stat.name;
      await tarPath(s.host, name, spool, pid ? await pseudoDevices(pid) : new Set());
      return s.stat;
    });
    const stream = createReadStream(spool);
    // The file is unlinked at once: the open fd keeps it readable until the stream ends.
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
    await fsp.rm(spool, { force: true });
    return { stream, stat };
  } catch (e) {
    await fsp.rm(spool, { force: true });
    throw e;
  }
}

export async function putArchive(d: ArchiveDeps, src: Readable, p: string, opts: { noOverwriteDirNonDir?: boolean } = {}): Promise<void> {
  if (!p) throw badParameter('path is required');
  if (d.rec.cfg.hostConfig.ReadonlyRootfs) throw forbidden('container rootfs is marked read-only');
  const spool = path.join(d.dir, `put-${randomHex(6)}.tar`);
  try {
    // Upload and header checks before the container is frozen. Symlink targets are checked against
    // the requested path's depth; the resolved destination is checked again below.
    await spoolArchive(src, spool, cleanContainerPath(p));
    await withRoot(d, async (root) => {
      const r = await resolveInRoot(root, cleanContainerPath(p), true);
      const st = await lstatIn(r);
      if (!st) throw notFound(d.rec, p);
      if (!st.isDirectory()) throw badParameter('extraction point is not a directory');
      if (r.inner !== cleanContainerPath(p)) await checkSpooled(spool, r.inner);
      await extractSpooled(spool, { root, dest: r.inner, ...(opts.noOverwriteDirNonDir ? { noOverwriteDirNonDir: true } : {}) });
    });
  } finally {
    await fsp.rm(spool, { force: true });
  }
}
