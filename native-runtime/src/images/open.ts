// One call to open the three stores an image needs, in the data root layout of docs/runtime.md.
import path from 'node:path';
import { FsContentStore } from '../content/store.js';
import { chooseDriver, openSnapshotter, type DriverChoice } from '../snapshots/driver.js';
import type { DriverName, Snapshotter } from '../snapshots/types.js';
import { cleanupExtractions } from '../snapshots/unpack.js';
import { ImageStore } from './store.js';

export interface ImageStores {
  content: FsContentStore;
  snapshots: Snapshotter;
  images: ImageStore;
  /** The storage driver and the filesystem under it (docker info's Driver, DriverStatus). */
  storage: DriverChoice;
}

/**
 * Opens `<root>/content`, the storage driver's snapshots (src/snapshots/driver.ts) and `<root>/images`.
 * `recover` cleans crash leftovers (only the single writer should). `driver` overrides BERTH_STORAGE_DRIVER.
 */
export async function openImageStores(root: string, opts: { recover?: boolean; driver?: DriverName } = {}): Promise<ImageStores> {
  const content = await FsContentStore.open(path.join(root, 'content'), { cleanIngest: opts.recover ?? false });
  const storage = await chooseDriver(root, opts.driver ? { ...process.env, BERTH_STORAGE_DRIVER: opts.driver } : process.env);
  if (opts.recover) for (const w of storage.warnings) process.emitWarning(w, { code: 'BERTH_STORAGE_DRIVER' });
  const snapshots = await openSnapshotter(root, storage.driver);
  if (opts.recover) {
    await cleanupExtractions(snapshots);
    await snapshots.cleanup();
  }
  const images = await ImageStore.open(path.join(root, 'images'), content, snapshots);
  images.warm(); // the index is read now, not by the first `docker images`
  return { content, snapshots, images, storage };
}
