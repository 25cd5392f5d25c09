// Layer indexes cached on disk as <root>/analysis/<diffID hex>.json, and in memory (a small LRU), so a
// second look at a layer, in this process or the next, costs one file read. Concurrent requests for
// the same layer share one walk. A cache file that is missing, unreadable or of another version is
// rebuilt; failing to write one (a read-only root) only costs the next look a walk.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomHex } from '../util/ids.js';
import { INDEX_VERSION, indexSnapshotDir, type LayerIndex } from './layer-index.js';

const MEMORY_ENTRIES = 64;

export class LayerIndexCache {
  readonly dir: string;
  private readonly memory = new Map<string, LayerIndex>();
  private readonly inflight = new Map<string, Promise<LayerIndex>>();

  constructor(root: string) {
    this.dir = path.join(root, 'analysis');
  }

  private file(diffId: string): string {
    return path.join(this.dir, `${diffId.replace(/^sha256:/, '')}.json`);
  }

  /** The index of the layer `diffId`, whose extracted snapshot is `snapshotDir()`. */
  get(diffId: string, snapshotDir: () => Promise<string>): Promise<LayerIndex> {
    const hit = this.memory.get(diffId);
    if (hit) {
      this.memory.delete(diffId);
      this.memory.set(diffId, hit);
      return Promise.resolve(hit);
    }
    let p = this.inflight.get(diffId);
    if (!p) {
      p = this.load(diffId, snapshotDir).finally(() => this.inflight.delete(diffId));
      this.inflight.set(diffId, p);
    }
    return p;
  }

  private async load(diffId: string, snapshotDir: () => Promise<string>): Promise<LayerIndex> {
    let idx = await this.readFile(diffId);
    if (!idx) {
      idx = await indexSnapshotDir(await snapshotDir(), diffId);
      await this.writeFile(idx);
    }
    this.memory.set(diffId, idx);
    if (this.memory.size > MEMORY_ENTRIES) this.memory.delete(this.memory.keys().next().value!);
    return idx;
  }

  private async readFile(diffId: string): Promise<LayerIndex | null> {
    try {
      const v = JSON.parse(await fsp.readFile(this.file(diffId), 'utf8')) as LayerIndex;
      return v.version === INDEX_VERSION && v.diffId === diffId ? v : null;
    } catch {
      return null;
    }
  }

  private async writeFile(idx: LayerIndex): Promise<void> {
    try {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
      // Temp file + rename, no fsync: a torn cache file after a crash fails to parse and is rebuilt.
      const tmp = `${this.file(idx.diffId)}.${randomHex(6)}.tmp`;
      await fsp.writeFile(tmp, JSON.stringify(idx), { mode: 0o600 });
      await fsp.rename(tmp, this.file(idx.diffId)).catch(async (e) => {
        await fsp.rm(tmp, { force: true });
        throw e;
      });
    } catch {
      /* a cache: the next look walks again */
    }
  }

  /** Forgets the in-memory copies (the bench's "cold" run; tests). */
  dropMemory(): void {
    this.memory.clear();
  }
}
