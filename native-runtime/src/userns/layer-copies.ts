// The fallback where the storage filesystem refuses idmapped mounts (issue #19): each image layer a
// container stacks is copied once per id range and chowned into it, as containers/storage does for a
// mapping its driver cannot idmap. Copies live in <root>/userns/layers/<uid>-<gid>-<size>/<layer>, are
// shared by every container with that range and layer, and go when the last of them is removed.
// A copy is made in a temporary directory and renamed into place, so a crash mid-copy never leaves a
// half copy that a later container would use; the leftovers are removed at the next load.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ContainerIdRange } from './allocator.js';
import { shiftOwners } from './shift.js';
import { diskUsage } from '../util/du.js';

const run = promisify(execFile);
const TMP_PREFIX = '.tmp-';

type Range = Pick<ContainerIdRange, 'uid' | 'gid' | 'size'>;

/** One layer to present: its snapshot directory's name (stable per layer) and its files. */
export interface LayerSource {
  name: string;
  dir: string;
}

export class LayerCopies {
  /** Copies and collections one at a time: a collection never removes a copy being made or handed out. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Copies handed to a create whose record is not stored yet: never collected. */
  private readonly pinned = new Map<string, number>();

  constructor(readonly dir: string) {}

  rangeDir(r: Range): string {
    return path.join(this.dir, `${r.uid}-${r.gid}-${r.size}`);
  }

  /** The copies of these layers for range r, made when missing; pinned until unpin(). Order kept. */
  async ensure(r: Range, layers: LayerSource[]): Promise<string[]> {
    const dirs = layers.map((l) => path.join(this.rangeDir(r), l.name));
    for (const d of dirs) this.pinned.set(d, (this.pinned.get(d) ?? 0) + 1);
    try {
      // One at a time: copies are disk-bound, and a parallel cp of each layer only thrashes.
      for (const [i, l] of layers.entries()) await this.one(r, l, dirs[i]!);
      return dirs;
    } catch (e) {
      this.unpin(dirs);
      throw e;
    }
  }

  unpin(dirs: string[]): void {
    for (const d of dirs) {
      const n = (this.pinned.get(d) ?? 1) - 1;
      if (n > 0) this.pinned.set(d, n);
      else this.pinned.delete(d);
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  private one(r: Range, l: LayerSource, target: string): Promise<string> {
    return this.serial(async () => {
      if (fs.existsSync(target)) return target;
      const tmp = path.join(this.rangeDir(r), `${TMP_PREFIX}${l.name}-${randomBytes(4).toString('hex')}`);
      await fsp.mkdir(this.rangeDir(r), { recursive: true, mode: 0o711 });
      try {
        // cp -a keeps what overlay reads from a layer: modes, times, hard links, whiteout devices and
        // the trusted.overlay.* xattrs; --reflink=auto shares extents where the filesystem can.
        // setpriv --pdeathsig: a cp outliving a killed engine would keep writing into the temp dir.
        await run('setpriv', ['--pdeathsig', 'KILL', '--', 'cp', '-a', '--reflink=auto', '--', l.dir, tmp]);
        await shiftOwners(tmp, r);
        await fsp.rename(tmp, target);
      } catch (e) {
        await fsp.rm(tmp, { recursive: true, force: true });
        throw new Error(`copying layer ${l.name} into user namespace range ${r.uid}: ${(e as Error).message}`);
      }
      return target;
    });
  }

  /** Bytes the copies take on disk (`docker system df` adds them to LayersSize). */
  async usage(): Promise<number> {
    return fs.existsSync(this.dir) ? (await diskUsage(this.dir)).size : 0;
  }

  /** Removes every copy no container uses (inUse: their copy dirs) and what interrupted copies left. */
  collect(inUse: Set<string>): Promise<string[]> {
    return this.serial(() => this.collectNow(inUse));
  }

  private async collectNow(inUse: Set<string>): Promise<string[]> {
    const removed: string[] = [];
    let ranges: string[];
    try {
      ranges = await fsp.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return removed;
      throw e;
    }
    for (const range of ranges) {
      const rdir = path.join(this.dir, range);
      for (const name of await fsp.readdir(rdir)) {
        const d = path.join(rdir, name);
        // Temp dirs: copies interrupted by a crash (no copy runs during a collection).
        if (!name.startsWith(TMP_PREFIX) && (inUse.has(d) || this.pinned.has(d))) continue;
        await fsp.rm(d, { recursive: true, force: true, maxRetries: 3 });
        removed.push(d);
      }
      if ((await fsp.readdir(rdir)).length === 0) await fsp.rmdir(rdir).catch(() => {});
    }
    return removed;
  }
}
