// User namespaces (issue #19): the engine default, per-container ranges, and what the shim gets.
import path from 'node:path';
import type { HostConfig } from '../engine/types.js';
import { RangeAllocator, type ContainerIdRange } from './allocator.js';
import { containerMode, type UsernsMode } from './mode.js';
import { ensureBerthRanges, type BerthRanges } from './subid.js';
import { probeIdmap, type IdmapProbe, type IdmapSetting } from './idmap-probe.js';
import { LayerCopies, type LayerSource } from './layer-copies.js';

export { parseEngineMode, containerMode, UsernsModeSchema, type UsernsMode } from './mode.js';
export type { ContainerIdRange } from './allocator.js';

/** shim.json's "userns" (native/shim/userns.h). */
export interface ShimUserns {
  uidMap: { containerId: number; hostId: number; size: number }[];
  gidMap: { containerId: number; hostId: number; size: number }[];
  /** false: the layers are chowned copies, mounted without idmapping (layer-copies.ts). */
  idmap?: false;
}

export function shimUserns(r: ContainerIdRange, copied = false): ShimUserns {
  return {
    uidMap: [{ containerId: 0, hostId: r.uid, size: r.size }],
    gidMap: [{ containerId: 0, hostId: r.gid, size: r.size }],
    ...(copied ? { idmap: false as const } : {}),
  };
}

export class UsernsService {
  private allocator: RangeAllocator | undefined;
  private ranges: BerthRanges | undefined;

  private readonly probes = new Map<string, Promise<IdmapProbe>>();
  /** The chowned-copy fallback's layer copies (used only where idmapped mounts are refused). */
  readonly copies: LayerCopies;

  constructor(
    private readonly root: string,
    /** The engine default; the dashboard's setting changes it at run time. */
    public mode: UsernsMode,
    /** BERTH_USERNS_IDMAP: "off" skips the idmap attempt (idmap-probe.ts). */
    readonly idmapSetting: IdmapSetting = 'auto',
  ) {
    this.copies = new LayerCopies(path.join(root, 'userns', 'layers'));
  }

  /** Whether containers whose layers live in dir get idmapped mounts; asked once per directory. */
  idmap(dir: string): Promise<IdmapProbe> {
    if (this.idmapSetting === 'off') return Promise.resolve({ idmap: false, reason: 'BERTH_USERNS_IDMAP=off' });
    let p = this.probes.get(dir);
    if (!p) {
      p = probeIdmap(dir).then((r) => {
        // The log line the issue asks for: once per engine and storage directory.
        if (!r.idmap) process.stderr.write(`berth: ${dir} refuses idmapped mounts (${r.reason}); user namespace containers get chowned copies of their image layers\n`);
        return r;
      });
      p.catch(() => this.probes.delete(dir));
      this.probes.set(dir, p);
    }
    return p;
  }

  /** `docker info` DriverStatus: how namespaced containers get their layers (none when the default is host). */
  async idmapStatus(dir: string): Promise<[string, string][]> {
    if (this.mode === 'host') return [];
    const p = await this.idmap(dir).catch(() => undefined);
    return [['Userns Idmapped Layers', p ? (p.idmap ? 'true' : 'false (chowned copies)') : 'unknown']];
  }

  /** The fallback's copies of these layers (top-most first) for range r; pinned until unpinCopies. */
  copiesFor(r: ContainerIdRange, layers: LayerSource[]): Promise<string[]> {
    return this.copies.ensure(r, layers);
  }

  unpinCopies(dirs: string[]): void {
    this.copies.unpin(dirs);
  }

  /** Removes the copies that none of these containers' lowers use (and interrupted copies). */
  collectCopies(lowers: Iterable<string[] | undefined>): Promise<string[]> {
    const inUse = new Set<string>();
    for (const l of lowers) for (const d of l ?? []) inUse.add(d);
    return this.copies.collect(inUse);
  }
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
