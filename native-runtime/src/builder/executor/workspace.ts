// A writable rootfs for a COPY, ADD or WORKDIR step: an active snapshot on the parent's chain,
// overlay-mounted on the host under <root>/build/mnt/<id> so that writes get overlay's copy-up and
// whiteout semantics (a symlinked /bin, an opaque directory below) exactly as in a container. With no
// parent (FROM scratch) there is nothing to merge and the upper dir is written directly.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Lease } from '../../archive/lease.js';
import type { ImageStores } from '../../images/open.js';
import { MNT_DETACH, mountOverlay, umount } from '../../native/index.js';
import { randomHex } from '../../util/ids.js';
import { commitSnapshotLayer, type CommittedLayer } from './layer.js';

export const BUILD_SNAPSHOT_PREFIX = 'build-';

export class StepRootfs {
  private mounted = false;
  private done = false;

  private constructor(
    private readonly stores: ImageStores,
    readonly key: string,
    readonly parentChain: string | undefined,
    /** Where the step writes: the mount point, or the upper dir when there is no parent. */
    readonly root: string,
    private readonly mountPoint: string | undefined,
  ) {}

  static async prepare(stores: ImageStores, mntRoot: string, parentChain: string | undefined, lease?: Lease): Promise<StepRootfs> {
    const key = `${BUILD_SNAPSHOT_PREFIX}${randomHex(16)}`;
    lease?.addSnapshot(key);
    const m = await stores.snapshots.prepare(key, parentChain, { labels: { 'berth.build': 'step' } });
    if (m.lower.length === 0) return new StepRootfs(stores, key, parentChain, m.upper!, undefined);
    const target = path.join(mntRoot, key.slice(BUILD_SNAPSHOT_PREFIX.length));
    try {
      await fsp.mkdir(target, { recursive: true, mode: 0o700 });
      mountOverlay({ cwd: m.cwd, lower: m.lower, upper: m.upper!, work: m.work!, target });
    } catch (err) {
      await fsp.rmdir(target).catch(() => {});
      await stores.snapshots.remove(key).catch(() => {});
      throw err;
    }
    const s = new StepRootfs(stores, key, parentChain, target, target);
    s.mounted = true;
    return s;
  }

  /** The snapshot's own upper dir (what the layer is made of). */
  upper(): Promise<string> {
    return this.stores.snapshots.fsPath(this.key);
  }

  private async unmount(): Promise<void> {
    if (!this.mounted || !this.mountPoint) return;
    try {
      umount(this.mountPoint);
    } catch {
      umount(this.mountPoint, MNT_DETACH); // something still has a file open: detach it
    }
    this.mounted = false;
    await fsp.rmdir(this.mountPoint).catch(() => {});
  }

  /** Unmounts and commits the step's changes; null when nothing changed. */
  async commit(): Promise<CommittedLayer | null> {
    await this.unmount();
    this.done = true;
    return commitSnapshotLayer(this.stores, this.key, this.parentChain);
  }

  /** Unmounts and throws the changes away (a failed or cancelled step). Safe to call after commit. */
  async discard(): Promise<void> {
    await this.unmount().catch(() => {});
    if (this.done) return;
    this.done = true;
    await this.stores.snapshots.remove(this.key).catch(() => {});
  }
}

/** Leftovers of a build that was killed: mounts under mntRoot and active `build-` snapshots. */
export async function cleanupStaleWorkspaces(stores: ImageStores, mntRoot: string, inUse: ReadonlySet<string>): Promise<void> {
  let names: string[] = [];
  try {
    names = await fsp.readdir(mntRoot);
  } catch {
    /* none yet */
  }
  for (const n of names) {
    if (inUse.has(BUILD_SNAPSHOT_PREFIX + n)) continue;
    const p = path.join(mntRoot, n);
    try {
      umount(p, MNT_DETACH);
    } catch {
      /* not mounted */
    }
    await fsp.rmdir(p).catch(() => {});
  }
  for (const s of await stores.snapshots.list()) {
    if (s.kind === 'active' && s.key.startsWith(BUILD_SNAPSHOT_PREFIX) && !inUse.has(s.key)) await stores.snapshots.remove(s.key).catch(() => {});
  }
}
