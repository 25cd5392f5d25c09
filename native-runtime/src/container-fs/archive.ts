// docker cp: stat, get and put on a container's filesystem.
// Every path is resolved and opened by the addon inside the container's root (native/addon/in_root.cc:
// openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, then *at() calls relative to the fds it gave).
// Nothing a process does meanwhile, in this container or in another one sharing a volume with it, can
// send a read or a write to the host (CVE-2018-15664), so the container is not frozen: it keeps running
// however long the copy takes, and a crash of the server mid-copy leaves nothing frozen behind.
// - Running: the root is /proc/<pid>/root, so the container's own mounts (volumes, binds) are seen at
//   their paths.
// - Stopped: the rootfs overlay is mounted for the operation and unmounted after. Volumes and binds of a
//   stopped container are not visible this way (only the rootfs).
// The caller holds the container's lock, so a start cannot race with the temporary mount.
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContainerRecord } from '../containers/record.js';
import type { PathStat } from '../engine/types.js';
import { badParameter, EngineError, forbidden } from '../errors.js';
import { containerPut, CopyError, mount, mountOverlay, MS_BIND, NativeContainerTar, rootStat, umount, MNT_DETACH } from '../native/index.js';
import type { Snapshotter } from '../snapshots/types.js';
import { randomHex } from '../util/ids.js';
import { pseudoDevices } from './pseudo.js';
import { mapTarIds, toContainer, toHost } from '../userns/tar-ids.js';
import { containerLowers } from '../containers/rootfs-files.js';
import { cleanContainerPath } from './resolve.js';
import { isDirMode, pathStat } from './stat.js';

export interface ArchiveDeps {
  rec: ContainerRecord;
  /** containers/<id>: spool files go here. */
  dir: string;
  snapshots: Snapshotter;
}

const ENOENT = 2;
const ENOTDIR = 20;
const ELOOP = 40;

const notFound = (rec: ContainerRecord, p: string): EngineError =>
  new EngineError(404, `Could not find the file ${p} in container ${rec.cfg.name.slice(1)}`, { reason: 'no such file' });

/** Runs fn with the container's root on the host; pid is set when the container runs. */
async function withRoot<T>(d: ArchiveDeps, fn: (root: string, pid: number) => Promise<T>): Promise<T> {
  const st = d.rec.state.status;
  if (st === 'running' || st === 'paused') return fn(`/proc/${d.rec.state.pid}/root`, d.rec.state.pid);
  const m = containerLowers(await d.snapshots.mounts(d.rec.cfg.snapshotKey), d.rec.cfg);
  const target = path.join(d.dir, `rootfs-${randomHex(4)}`);
  await fsp.mkdir(target, { mode: 0o700 });
  try {
    // btrfs/vfs: the snapshot is a whole tree, bound as it is.
    if (m.rootfs) mount(m.rootfs, target, '', MS_BIND);
    else mountOverlay({ cwd: m.cwd, lower: m.lower, ...(m.upper ? { upper: m.upper } : {}), ...(m.work ? { work: m.work } : {}), target });
    try {
      return await fn(target, 0);
    } finally {
      umount(target, MNT_DETACH);
    }
  } finally {
    await fsp.rmdir(target).catch(() => {});
  }
}

/**
 * The range whose host ids the files show: a running container's (seen through its idmapped rootfs),
 * or any fallback container's (its copies and upper hold host ids on disk).
 */
function hostIds(d: ArchiveDeps, pid: number) {
  return pid || d.rec.cfg.usernsLowers ? d.rec.cfg.userns : undefined;
}

/** dockerd follows a final symlink only when the path ends in "/" or "/.". */
const followsLast = (p: string, clean: string): boolean => clean === '/' || /\/\.?$/.test(p);

function statIn(d: ArchiveDeps, root: string, p: string): { stat: PathStat; inner: string; isDir: boolean } {
  const clean = cleanContainerPath(p);
  const r = rootStat(root, clean, followsLast(p, clean));
  if (!r.stat) throw notFound(d.rec, p);
  const name = clean === '/' ? '/' : path.posix.basename(clean);
  return { stat: pathStat(name, r.stat, r.linkTarget), inner: r.inner, isDir: isDirMode(r.stat.mode) };
}

/** The addon's docker cp errors as the Engine API answers them. */
function copyError(d: ArchiveDeps, p: string, e: unknown): unknown {
  if (!(e instanceof CopyError)) return e;
  switch (e.code) {
    case 'NOT_FOUND':
      return notFound(d.rec, p);
    case 'NOT_DIR':
      return badParameter('extraction point is not a directory');
    case 'OVERWRITE':
      return badParameter(e.detail);
    case 'UNSAFE_ENTRY':
    case 'UNSUPPORTED_ENTRY':
    case 'INVALID_TAR':
      return badParameter(`refusing to extract ${JSON.stringify(e.entry ?? '')}: ${e.detail}`);
    default:
      // A name the container moved while we walked (a swap caught by the addon's no-follow opens).
      if (e.errno === ENOENT || e.errno === ENOTDIR || e.errno === ELOOP) return new EngineError(404, `Could not find the file ${p} in container ${d.rec.cfg.name.slice(1)}: ${e.detail}`, { reason: 'no such file' });
      return e;
  }
}

export async function infoArchive(d: ArchiveDeps, p: string): Promise<PathStat> {
  if (!p) throw badParameter('path is required');
  return withRoot(d, async (root) => statIn(d, root, p).stat);
}

const CHUNK = 1 << 20;

/** Writes the tar of `inner` (as the addon walks it inside root) to `file`. */
async function writeTar(root: string, inner: string, followLast: boolean, name: string, skipDevs: number[], file: string): Promise<void> {
  const reader = new NativeContainerTar(root, inner, { followLast, name, skipDevs });
  const fh = await fsp.open(file, 'w', 0o600);
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = await reader.read(buf);
      if (n === 0) break;
      for (let off = 0; off < n; ) off += (await fh.write(buf, off, n - off)).bytesWritten;
    }
  } finally {
    reader.close();
    await fh.close();
  }
}

/** The tar (as a stream of a spool file that deletes itself) and the stat of the path. */
export async function getArchive(d: ArchiveDeps, p: string): Promise<{ stream: Readable; stat: PathStat }> {
  if (!p) throw badParameter('path is required');
  const spool = path.join(d.dir, `get-${randomHex(6)}.tar`);
  try {
    // Spooled: a stopped container's temporary mount must not outlive this call, whatever the client's pace.
    const stat = await withRoot(d, async (root, pid) => {
      const s = statIn(d, root, p);
      const clean = cleanContainerPath(p);
      const name = s.stat.name === '/' ? '.' : s.stat.name;
      try {
        // A running container in a user namespace is seen through its idmapped rootfs: host ids.
        const userns = hostIds(d, pid);
        const raw = userns ? `${spool}.host` : spool;
        try {
          await writeTar(root, clean, followsLast(p, clean), name, pid ? await pseudoDevices(pid) : [], raw);
          if (userns) await mapTarIds(raw, spool, toContainer(userns));
        } finally {
          if (userns) await fsp.rm(raw, { force: true });
        }
      } catch (e) {
        throw copyError(d, p, e);
      }
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
  const dest = cleanContainerPath(p);
  const spool = path.join(d.dir, `put-${randomHex(6)}.tar`);
  try {
    // Spooled so the addon can check every header before it writes anything (a hostile tar is refused
    // whole), then extract in the same pass of C++ work: no per-entry JavaScript.
    await pipeline(src, createWriteStream(spool, { mode: 0o600 }));
    await withRoot(d, async (root, pid) => {
      try {
        const userns = hostIds(d, pid);
        if (userns) await mapTarIds(spool, `${spool}.host`, toHost(userns));
        await containerPut(root, dest, userns ? `${spool}.host` : spool, { ...opts, ...(userns ? { fsuid: userns.uid, fsgid: userns.gid } : {}) });
      } catch (e) {
        throw copyError(d, p, e);
      }
    });
  } finally {
    await fsp.rm(spool, { force: true });
    await fsp.rm(`${spool}.host`, { force: true });
  }
}
