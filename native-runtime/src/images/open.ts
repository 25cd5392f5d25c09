// One call to open the three stores an image needs, in the data root layout of docs/runtime.md.
import path from 'node:path';
import { FsContentStore } from '../content/store.js';
import { OverlaySnapshotter } from '../snapshots/overlay.js';
import { cleanupExtractions } from '../snapshots/unpack.js';
import { ImageStore } from './store.js';

export interface ImageStores {
  content: FsContentStore;
  snapshots: OverlaySnapshotter;
  images: ImageStore;
}

/** Opens `<root>/content`, `<root>/snapshots`, `<root>/images`. `recover` cleans crash leftovers (only the single writer should). */
export async function openImageStores(root: string, opts: { recover?: boolean } = {}): Promise<ImageStores> {
  const content = await FsContentStore.open(path.join(root, 'content'), { cleanIngest: opts.recover ?? false });
  const snapshots = await OverlaySnapshotter.open(path.join(root, 'snapshots'));
  if (opts.recover) {
    await cleanupExtractions(snapshots);
    await snapshots.cleanup();
  }
  const images = await ImageStore.open(path.join(root, 'images'), content, snapshots);
  return { content, snapshots, images };
}
