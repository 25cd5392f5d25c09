// Choosing the storage driver for a data root, as dockerd's graphdriver.New does: the one named by
// BERTH_STORAGE_DRIVER, else the best that works on the root's filesystem (btrfs on btrfs, overlay where
// it mounts, vfs otherwise, with a warning). Each driver keeps its data in its own directory, so
// switching leaves the other's data alone (docs/storage.md).
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { backingFs, type BackingFs } from './backing-fs.js';
import { BtrfsSnapshotter } from './btrfs.js';
import { OverlaySnapshotter } from './overlay.js';
import { VfsSnapshotter } from './vfs.js';
import { DRIVER_NAMES, type DriverName, type Snapshotter } from './types.js';
import { randomHex } from '../util/ids.js';

const driverSchema = z.enum(DRIVER_NAMES);

/** The driver's directory: overlay keeps the historical `snapshots/`. */
export function driverDir(dataRoot: string, driver: DriverName): string {
  return path.join(dataRoot, driver === 'overlay' ? 'snapshots' : `snapshots-${driver}`);
}

/** BERTH_STORAGE_DRIVER, checked; undefined when unset or empty. */
export function driverFromEnv(env: NodeJS.ProcessEnv = process.env): DriverName | undefined {
  const v = env['BERTH_STORAGE_DRIVER'];
  if (!v) return undefined;
  const r = driverSchema.safeParse(v === 'overlay2' ? 'overlay' : v);
  if (!r.success) throw new Error(`BERTH_STORAGE_DRIVER=${v}: unknown storage driver (use one of ${DRIVER_NAMES.join(', ')})`);
  return r.data;
}

/** Whether an overlay mounts here: overlayfs cannot take an upper dir on overlayfs (Berth in a container). */
async function overlayWorks(dataRoot: string, fsInfo: BackingFs): Promise<boolean> {
  if (fsInfo.name === 'extfs' || fsInfo.name === 'xfs' || fsInfo.name === 'btrfs' || fsInfo.name === 'tmpfs') return true;
  const { mountOverlay, umount, MNT_DETACH } = await import('../native/index.js');
  const dir = path.join(dataRoot, `.overlay-probe-${randomHex(4)}`);
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    mountOverlay({ cwd: dir, lower: ['lower'], upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'merged') });
    umount(path.join(dir, 'merged'), MNT_DETACH);
    return true;
  } catch {
    return false;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

export interface DriverChoice {
  driver: DriverName;
  fs: BackingFs;
  /** Why this one, when it is not what the user may expect (printed once at start). */
  warnings: string[];
}

/** The driver for `dataRoot` (made if missing). */
export async function chooseDriver(dataRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<DriverChoice> {
  await fsp.mkdir(dataRoot, { recursive: true, mode: 0o711 });
  const fsInfo = await backingFs(dataRoot);
  const warnings: string[] = [];
  let driver = driverFromEnv(env);
  // As dockerd's graphdriver.New: without a choice, a root keeps the driver whose data it holds.
  const prior = DRIVER_NAMES.filter((d) => hasSnapshots(path.join(driverDir(dataRoot, d), 'meta.json')));
  if (!driver && prior.length > 1) {
    throw new Error(`${dataRoot} holds the data of several storage drivers (${prior.join(', ')}): choose one with BERTH_STORAGE_DRIVER`);
  }
  if (!driver && prior.length === 1) driver = prior[0];
  if (!driver) {
    if (fsInfo.name === 'btrfs') driver = 'btrfs';
    else if (await overlayWorks(dataRoot, fsInfo)) driver = 'overlay';
    else {
      driver = 'vfs';
      warnings.push(`overlay does not mount on ${fsInfo.name} at ${dataRoot}: using the vfs storage driver (full copies; slow and large)`);
    }
  }
  // Another driver's data stays where it is (each has its own directory); say so, as dockerd logs it.
  for (const other of prior) {
    if (other !== driver) {
      warnings.push(
        `the ${other} storage driver's data in ${driverDir(dataRoot, other)} is left alone: this root now uses ${driver}. ` +
          `Images are unpacked again for ${driver} when used; containers created with ${other} run again only with BERTH_STORAGE_DRIVER=${other}.`,
      );
    }
  }
  return { driver, fs: fsInfo, warnings };
}

function hasSnapshots(meta: string): boolean {
  try {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8')) as { snapshots?: Record<string, unknown> };
    return Object.keys(m.snapshots ?? {}).length > 0;
  } catch {
    return false;
  }
}

export async function openSnapshotter(dataRoot: string, driver: DriverName): Promise<Snapshotter> {
  const dir = driverDir(dataRoot, driver);
  if (driver === 'btrfs') return BtrfsSnapshotter.open(dir);
  if (driver === 'vfs') return VfsSnapshotter.open(dir);
  return OverlaySnapshotter.open(dir);
}
