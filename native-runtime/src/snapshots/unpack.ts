// unpackImage: make sure every layer of an image is a committed snapshot.
// Each missing layer is extracted into a temporary *active* snapshot and committed under its chain
// ID only when complete, so an interrupted unpack never leaves a committed snapshot with partial
// contents; the leftover active snapshot is removed by cleanupExtractions() at start.
// A layer still being downloaded can be extracted from its live bytes (`live`): it is committed only
// once the download has verified the blob's digest, and discarded when that fails.
import type { ContentStore } from '../content/types.js';
import { applyLayer, type ApplyResult } from '../layers/apply.js';
import { randomHex } from '../util/ids.js';
import { chainId } from './chain.js';
import { SnapshotError, type Snapshotter } from './types.js';

export const EXTRACT_PREFIX = 'extract-';

export interface UnpackLayer {
  /** Layer blob in the content store (gzip or plain tar). */
  digest: string;
  /** Expected diffID; the extracted tar must hash to it. */
  diffId: string;
  /** Extract from these bytes as they arrive instead of from the stored blob. */
  live?: LiveLayer;
}

/** A layer blob being downloaded: its bytes, unverified until `verified` resolves. */
export interface LiveLayer {
  bytes: AsyncIterable<Uint8Array>;
  /** Settles when the blob's digest has been checked and it is stored; rejects when it was not right. */
  verified: Promise<void>;
  /** Tells the producer nobody reads the bytes any longer (the layer existed, or extraction failed). */
  cancel(): void;
}

export interface UnpackResult {
  chainIds: string[];
  /** Unpacked size of each layer (Docker's DiffSize). */
  sizes: number[];
}

export async function unpackImage(
  snapshots: Snapshotter,
  content: ContentStore,
  layers: readonly UnpackLayer[],
  opts: { onLayer?: (index: number, chainId: string, state: 'exists' | 'extracting' | 'done') => void } = {},
): Promise<UnpackResult> {
  try {
    return await unpackLayers(snapshots, content, layers, opts);
  } finally {
    for (const l of layers) l.live?.cancel(); // a producer must never wait on bytes nobody reads
  }
}

async function unpackLayers(
  snapshots: Snapshotter,
  content: ContentStore,
  layers: readonly UnpackLayer[],
  opts: { onLayer?: (index: number, chainId: string, state: 'exists' | 'extracting' | 'done') => void },
): Promise<UnpackResult> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let parent: string | undefined;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    const chain = chainId(parent, layer.diffId);
    if (!(await isCommitted(snapshots, chain))) {
      opts.onLayer?.(i, chain, 'extracting');
      const key = `${EXTRACT_PREFIX}${randomHex(8)} ${chain}`;
      await snapshots.prepare(key, parent, { labels: { 'berth.unpack': chain } });
      try {
        const dir = await snapshots.fsPath(key);
        // btrfs/vfs: the snapshot is the parent's whole tree; whiteouts delete from it.
        const res = await extract(content, layer, dir, snapshots.driver !== 'overlay');
        if (res.diffId !== layer.diffId) {
          throw new Error(`layer ${layer.digest}: diffID is ${res.diffId}, the image config says ${layer.diffId}`);
        }
        await snapshots.commit(chain, key);
      } catch (err) {
        await snapshots.remove(key).catch(() => {});
        // Someone else committed the same chain meanwhile: theirs is as good as ours.
        if (!(err instanceof SnapshotError && err.code === 'ALREADY_EXISTS')) throw err;
      }
      opts.onLayer?.(i, chain, 'done');
    } else {
      layer.live?.cancel();
      opts.onLayer?.(i, chain, 'exists');
    }
    sizes.push((await snapshots.usage(chain)).size);
    ids.push(chain);
    parent = chain;
  }
  return { chainIds: ids, sizes };
}

/** Applies the stored blob, or the live one: then nothing counts before its digest is verified. */
async function extract(content: ContentStore, layer: UnpackLayer, dir: string, plain: boolean): Promise<ApplyResult> {
  const live = layer.live;
  if (!live) return applyLayer(await content.readStream(layer.digest), dir, { plain });
  let res: ApplyResult;
  try {
    res = await applyLayer(live.bytes, dir, { plain });
  } catch (err) {
    live.cancel();
    await live.verified; // a failed download or a wrong digest explains a broken tar better than the tar error
    throw err;
  }
  await live.verified;
  return res;
}

async function isCommitted(snapshots: Snapshotter, key: string): Promise<boolean> {
  try {
    return (await snapshots.stat(key)).kind === 'committed';
  } catch (err) {
    if (err instanceof SnapshotError && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}

/** Removes active snapshots left by an interrupted unpack. Call at start, before any unpack runs. */
export async function cleanupExtractions(snapshots: Snapshotter): Promise<number> {
  let n = 0;
  for (const s of await snapshots.list()) {
    if (s.kind === 'active' && s.key.startsWith(EXTRACT_PREFIX)) {
      await snapshots.remove(s.key);
      n++;
    }
  }
  return n;
}
