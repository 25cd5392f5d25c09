// Which subordinate range each container holds, kept in <root>/userns/allocations.json (atomic writes)
// so allocations survive restarts. Slot 0 is the one range every `remap` container shares (dockerd's
// userns-remap); `auto` containers each take the lowest free slot from 1 up, so no two share ids.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { replaceJsonNowSyncLater } from '../util/atomic.js';
import { RANGE_SIZE, type BerthRanges } from './subid.js';

const FileSchema = z.object({
  version: z.literal(1),
  containers: z.record(z.string(), z.object({ mode: z.enum(['remap', 'auto']), slot: z.number().int().nonnegative() })),
});
type AllocFile = z.infer<typeof FileSchema>;

/** What a container's namespace maps: container ids 0..size-1 to host ids uid.. / gid... */
export interface ContainerIdRange {
  mode: 'remap' | 'auto';
  uid: number;
  gid: number;
  size: number;
}

export class RangeAllocator {
  private readonly file: string;
  private data: AllocFile = { version: 1, containers: {} };
  private chain: Promise<unknown> = Promise.resolve();

  constructor(dir: string, private readonly ranges: BerthRanges) {
    this.file = path.join(dir, 'allocations.json');
  }

  load(): void {
    try {
      this.data = FileSchema.parse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${this.file}: ${(e as Error).message}`);
    }
  }

  private get slots(): number {
    return Math.floor(Math.min(this.ranges.uid.count, this.ranges.gid.count) / RANGE_SIZE);
  }

  private range(mode: 'remap' | 'auto', slot: number): ContainerIdRange {
    return { mode, uid: this.ranges.uid.start + slot * RANGE_SIZE, gid: this.ranges.gid.start + slot * RANGE_SIZE, size: RANGE_SIZE };
  }

  get(id: string): ContainerIdRange | undefined {
    const a = this.data.containers[id];
    return a && this.range(a.mode, a.slot);
  }

  /** One at a time: two concurrent creates must never pick the same slot. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  allocate(id: string, mode: 'remap' | 'auto'): Promise<ContainerIdRange> {
    return this.serial(async () => {
      const have = this.data.containers[id];
      if (have) return this.range(have.mode, have.slot);
      let slot = 0;
      if (mode === 'auto') {
        const used = new Set(Object.values(this.data.containers).filter((a) => a.mode === 'auto').map((a) => a.slot));
        slot = 1;
        while (used.has(slot)) slot++;
        if (slot >= this.slots) throw new Error(`no free user namespace range: all ${this.slots - 1} auto ranges of the berth user are in use`);
      }
      this.data = { ...this.data, containers: { ...this.data.containers, [id]: { mode, slot } } };
      await this.save();
      return this.range(mode, slot);
    });
  }

  release(id: string): Promise<void> {
    return this.serial(async () => {
      if (!this.data.containers[id]) return;
      const { [id]: _gone, ...rest } = this.data.containers;
      this.data = { ...this.data, containers: rest };
      await this.save();
    });
  }

  /** Allocations whose container no longer exists (a crash between rm and release). */
  async prune(live: Set<string>): Promise<void> {
    for (const id of Object.keys(this.data.containers)) if (!live.has(id)) await this.release(id);
  }

  // Renamed in at once, made durable a moment later: as durable as the container record it serves
  // (containers/store.ts writes that the same way), without a disk wait on every create.
  private async save(): Promise<void> {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    replaceJsonNowSyncLater(this.file, this.data, 0o600);
  }
}
