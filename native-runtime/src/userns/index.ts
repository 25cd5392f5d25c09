// User namespaces (issue #19): the engine default, per-container ranges, and what the shim gets.
import path from 'node:path';
import type { HostConfig } from '../engine/types.js';
import { RangeAllocator, type ContainerIdRange } from './allocator.js';
import { containerMode, type UsernsMode } from './mode.js';
import { ensureBerthRanges, type BerthRanges } from './subid.js';

export { parseEngineMode, containerMode, UsernsModeSchema, type UsernsMode } from './mode.js';
export type { ContainerIdRange } from './allocator.js';

/** shim.json's "userns" (native/shim/userns.h). */
export interface ShimUserns {
  uidMap: { containerId: number; hostId: number; size: number }[];
  gidMap: { containerId: number; hostId: number; size: number }[];
}

export function shimUserns(r: ContainerIdRange): ShimUserns {
  return { uidMap: [{ containerId: 0, hostId: r.uid, size: r.size }], gidMap: [{ containerId: 0, hostId: r.gid, size: r.size }] };
}

export class UsernsService {
  private allocator: RangeAllocator | undefined;
  private ranges: BerthRanges | undefined;

  constructor(
    private readonly root: string,
    /** The engine default; the dashboard's setting changes it at run time. */
    public mode: UsernsMode,
  ) {}

  /** Loads existing allocations; the berth user and its ranges are made on first need. */
  async load(): Promise<void> {
    if (this.allocator) return;
    this.ranges = await ensureBerthRanges();
    this.allocator = new RangeAllocator(path.join(this.root, 'userns'), this.ranges);
    this.allocator.load();
  }

  /** A 400 for a mode that create would refuse, before any work is done. */
  validate(h: Pick<HostConfig, 'UsernsMode' | 'Privileged'>): void {
    containerMode(this.mode, h.UsernsMode, h.Privileged);
  }

  /** At create: the container's mode, and its range when it gets a namespace. */
  async forCreate(id: string, h: Pick<HostConfig, 'UsernsMode' | 'Privileged'>): Promise<ContainerIdRange | undefined> {
    const mode = containerMode(this.mode, h.UsernsMode, h.Privileged);
    if (mode === 'host') return undefined;
    await this.load();
    return this.allocator!.allocate(id, mode);
  }

  async release(id: string): Promise<void> {
    if (!this.allocator) return;
    await this.allocator.release(id);
  }

  async prune(live: Set<string>): Promise<void> {
    if (this.allocator) await this.allocator.prune(live);
  }
}
