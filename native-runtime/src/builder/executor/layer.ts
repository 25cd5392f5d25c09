// Committing a filesystem step: the upper dir of an active snapshot becomes a layer blob (tar + gzip,
// both digests computed while streaming) and the snapshot is committed under the layer's chain ID, so
// the next step, later builds and containers of the image all share it. An unchanged upper dir is
// no layer at all (`empty_layer` in history), as Docker decides for an empty diff.
import { promises as fsp } from 'node:fs';
import type { ImageStores } from '../../images/open.js';
import { diffDirectory } from '../../layers/diff.js';
import { withoutEntries } from '../../commit/filter.js';
import { upperView } from '../../snapshots/upper-view.js';
import { writeLayer, type WrittenLayer } from '../../layers/write.js';
import { chainId } from '../../snapshots/chain.js';
import { SnapshotError } from '../../snapshots/types.js';

/** gzip level of build and commit layers: speed over size (layers are compressed again by no one). */
export const LAYER_GZIP_LEVEL = 1;

export interface CommittedLayer extends WrittenLayer {
  /** Chain ID of the stack up to and including this layer: the committed snapshot's key. */
  chain: string;
  /** Bytes of file content in the layer (Docker's DiffSize, history's Size). */
  diffSize: number;
}

export async function isEmptyDir(dir: string): Promise<boolean> {
  return (await fsp.readdir(dir)).length === 0;
}

/**
 * The layer of an upper dir, written into the content store; null when nothing changed. mapIds: a user
 * namespace fallback's upper holds host ids, and the tar gets the container's (src/userns/tar-ids.ts).
 */
export async function layerOfUpper(stores: ImageStores, upper: string, mapIds?: (uid: number, gid: number) => [number, number]): Promise<WrittenLayer | null> {
  if (await isEmptyDir(upper)) return null;
  const tar = mapIds ? withoutEntries(diffDirectory(upper), new Set(), mapIds) : diffDirectory(upper);
  return writeLayer(tar, stores.content, { level: LAYER_GZIP_LEVEL });
}

/**
 * Writes the layer of active snapshot `key` and commits the snapshot as `chain(parentChain, diffID)`.
 * The active snapshot is gone afterwards either way (committed, or removed when nothing changed or
 * when the same chain already exists).
 */
export async function commitSnapshotLayer(
  stores: ImageStores,
  key: string,
  parentChain: string | undefined,
  /** btrfs/vfs: trees the snapshot's own is compared with besides its parent (a container's init layer). */
  extraLowers: string[] = [],
): Promise<CommittedLayer | null> {
  // overlay: the upper dir; btrfs/vfs: their changes laid out as one (snapshots/upper-view.ts).
  const view = await upperView(stores.snapshots, key, { extraLowers });
  const layer = await layerOfUpper(stores, view.upper).finally(() => view.release());
  if (!layer) {
    await stores.snapshots.remove(key);
    return null;
  }
  const chain = chainId(parentChain, layer.diffId);
  if (await committed(stores, chain)) {
    await stores.snapshots.remove(key);
  } else {
    try {
      await stores.snapshots.commit(chain, key);
    } catch (err) {
      if (!(err instanceof SnapshotError && err.code === 'ALREADY_EXISTS')) throw err;
      await stores.snapshots.remove(key); // committed meanwhile by someone else: identical content
    }
  }
  return { ...layer, chain, diffSize: (await stores.snapshots.usage(chain)).size };
}

async function committed(stores: ImageStores, key: string): Promise<boolean> {
  try {
    return (await stores.snapshots.stat(key)).kind === 'committed';
  } catch {
    return false;
  }
}
