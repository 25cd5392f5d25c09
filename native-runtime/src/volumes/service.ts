// Volumes as the Engine API shows them (create, list, inspect, remove, prune), and their part in a
// container's life: resolving its mounts at create (named volumes made on first use and filled from
// the image), the shim's mount list at start, and anonymous volumes at remove.
import path from 'node:path';
import type { Volume, VolumeCreateOptions, VolumeListResponse, PruneResponse, Filters } from '../engine/types.js';
import { badParameter, conflict, EngineError, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { boolFilter, checkFilterNames, exactMatch, labelMatches, matchKVList, normalizeFilters, regexMatch } from '../events/filters.js';
import type { OverlayMounts } from '../snapshots/types.js';
import { diskUsage } from '../util/du.js';
import { randomId } from '../util/ids.js';
import { copyUp, isEmptyDir } from './copy-up.js';
import { shiftOwners } from '../userns/shift.js';
import { mountRequests } from './parse.js';
import { VolumeStore } from './store.js';
import { ANONYMOUS_LABEL, type ContainerMount, type VolumeMeta } from './types.js';
import type { HostConfig } from '../engine/types.js';

/** What the volume service needs to know about containers. */
export interface MountUser {
  id: string;
  mounts?: ContainerMount[];
}

export interface ShimMountEntry {
  source: string;
  destination: string;
  type: string;
  options: string[];
}

export class VolumeService {
  readonly store: VolumeStore;

  constructor(
    root: string,
    private readonly events: EventBus,
    private readonly users: () => MountUser[],
  ) {
    this.store = new VolumeStore(path.join(root, 'volumes'));
  }

  async load(): Promise<void> {
    await this.store.load();
  }

  private view(m: VolumeMeta, usage?: { Size: number; RefCount: number }): Volume {
    const v: Volume = {
      CreatedAt: m.CreatedAt,
      Driver: m.Driver,
      Labels: Object.keys(m.Labels).length ? m.Labels : null,
      Mountpoint: this.store.dataPath(m.Name),
      Name: m.Name,
      Options: Object.keys(m.Options).length ? m.Options : null,
      Scope: 'local',
    };
    if (usage) v.UsageData = usage;
    return v;
  }

  /** Ids of the containers (running or not) that mount the volume. */
  usersOf(name: string): string[] {
    return this.users()
      .filter((c) => c.mounts?.some((m) => m.Type === 'volume' && m.Name === name))
      .map((c) => c.id);
  }

  // ─────────────────────────── Engine API ───────────────────────────

  async create(opts: VolumeCreateOptions = {}): Promise<Volume> {
    const driver = opts.Driver || 'local';
    if (driver !== 'local') throw notFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const drvOpts = opts.DriverOpts ?? {};
    if (Object.keys(drvOpts).length) {
      // The local driver's type/device/o mount a filesystem on the host; Berth does not do that yet.
      throw badParameter(`create ${opts.Name ?? ''}: local volume options (${Object.keys(drvOpts).join(', ')}) are not supported by Berth yet`);
    }
    const name = opts.Name || randomId();
    const [meta, created] = await this.store.create(name, { labels: opts.Labels ?? {}, options: drvOpts, anonymous: false });
    if (created) this.events.emit('volume', 'create', name, { driver: 'local' });
    return this.view(meta);
  }

  async list(opts: { filters?: Filters | string } = {}): Promise<VolumeListResponse> {
    const f = normalizeFilters(opts.filters);
    // As dockerd (moby volume/service/convert.go filtersToBy): driver is any of, name a regexp, labels all of.
    checkFilterNames(f, ['name', 'label', 'dangling', 'driver']);
    const dangling = boolFilter(f, 'dangling', { true: true, '1': true, false: false, '0': false });
    const out = this.store
      .all()
      .filter((m) => exactMatch(f, 'driver', m.Driver))
      .filter((m) => regexMatch(f, 'name', m.Name))
      .filter((m) => matchKVList(f, 'label', m.Labels))
      .filter((m) => dangling === undefined || (this.usersOf(m.Name).length === 0) === dangling)
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((m) => this.view(m));
    return { Volumes: out, Warnings: null };
  }

  async inspect(name: string, opts: { usage?: boolean } = {}): Promise<Volume> {
    const m = this.store.get(name);
    if (!opts.usage) return this.view(m);
    const size = (await diskUsage(this.store.dataPath(name)).catch(() => ({ size: -1 }))).size;
    return this.view(m, { Size: size, RefCount: this.usersOf(name).length });
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const m = this.store.find(name);
    if (!m) {
      if (opts.force) return;
      throw new EngineError(404, `get ${name}: no such volume`, { reason: 'no such volume' });
    }
    const users = this.usersOf(name);
    if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    await this.store.remove(name);
    this.events.emit('volume', 'destroy', name, { driver: 'local' });
  }

  /** Unused volumes; anonymous ones only unless filter all=true (Docker 23+). */
  async prune(opts: { filters?: Filters | string } = {}): Promise<PruneResponse> {
    const f = normalizeFilters(opts.filters);
    checkFilterNames(f, ['label', 'label!', 'all']);
    const all = ['true', '1'].includes(f.get('all')?.[0] ?? '');
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const m of this.store.all()) {
      if (!all && !m.anonymous) continue;
      if (!(f.get('label') ?? []).every((l) => labelMatches(l, m.Labels))) continue;
      if ((f.get('label!') ?? []).some((l) => labelMatches(l, m.Labels))) continue;
      if (this.usersOf(m.Name).length) continue;
      reclaimed += (await diskUsage(this.store.dataPath(m.Name)).catch(() => ({ size: 0 }))).size;
      await this.store.remove(m.Name);
      this.events.emit('volume', 'destroy', m.Name, { driver: 'local' });
      deleted.push(m.Name);
    }
    return { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  // ─────────────────────────── containers ───────────────────────────

  /** Checks a create body's mounts (400 on a bad one) without creating anything. */
  validate(h: Partial<HostConfig>, imageVolumes: string[]): void {
    mountRequests(h, imageVolumes);
  }

  /**
   * Resolves the container's mounts at create: named volumes are created on first use, anonymous
   * ones get a random name, and an empty volume is filled from the image unless NoCopy.
   */
  async resolve(
    h: Partial<HostConfig>,
    imageVolumes: string[],
    overlay: () => Promise<OverlayMounts>,
    scratchDir: string,
    /** A user namespace's range: a volume used for the first time is handed to the container's root. */
    userns?: { uid: number; gid: number; size: number },
  ): Promise<ContainerMount[]> {
    const out: ContainerMount[] = [];
    const made: string[] = [];
    try {
      for (const r of mountRequests(h, imageVolumes)) {
        if (r.type === 'bind') {
          out.push({ Type: 'bind', Source: r.source, Destination: r.destination, Mode: r.mode, RW: !r.readOnly, Propagation: r.propagation });
          continue;
        }
        if (r.type === 'tmpfs') {
          out.push({ Type: 'tmpfs', Source: '', Destination: r.destination, Mode: '', RW: !r.readOnly, Propagation: '', tmpfsOptions: tmpfsOptions(r.tmpfs) });
          continue;
        }
        const anonymous = !r.source;
        const name = r.source || randomId();
        const labels = anonymous ? { [ANONYMOUS_LABEL]: '', ...(r.labels ?? {}) } : (r.labels ?? {});
        const [meta, created] = await this.store.create(name, { labels, anonymous });
        if (created) {
          made.push(name);
          this.events.emit('volume', 'create', name, { driver: 'local' });
        }
        const data = this.store.dataPath(name);
        const fresh = await isEmptyDir(data);
        if (!r.noCopy && fresh) await copyUp(await overlay(), scratchDir, r.destination, data);
        if (userns && fresh) await shiftOwners(data, userns);
        out.push({
          Type: 'volume',
          Name: meta.Name,
          Source: data,
          Destination: r.destination,
          Driver: 'local',
          Mode: r.mode || 'z',
          RW: !r.readOnly,
          Propagation: '',
          ...(anonymous ? { anonymous: true } : {}),
        });
      }
    } catch (e) {
      for (const n of made) await this.store.remove(n).catch(() => {});
      throw e;
    }
    return out;
  }

  /** shim.json `mounts` entries (docs/runtime.md): binds are rbind, read-only ones remounted ro. */
  shimMounts(mounts: ContainerMount[] | undefined): ShimMountEntry[] {
    // Parents before children (/data before /data/sub), as Docker sorts by depth.
    const depth = (p: string): number => p.split('/').length;
    return [...(mounts ?? [])].sort((a, b) => depth(a.Destination) - depth(b.Destination)).map((m) => {
      if (m.Type === 'tmpfs') return { source: 'tmpfs', destination: m.Destination, type: 'tmpfs', options: [...(m.RW ? [] : ['ro']), ...(m.tmpfsOptions ?? [])] };
      const prop = m.Propagation || 'rprivate';
      // "idmap" (Podman's bind option): in a user namespace the bind shows the host's ids shifted into it.
      const idmap = m.Type === 'bind' && m.Mode.split(',').includes('idmap') ? ['idmap'] : [];
      return { source: m.Source, destination: m.Destination, type: 'bind', options: ['rbind', m.RW ? 'rw' : 'ro', prop, ...idmap] };
    });
  }

  /** Volume mount events at start (Docker's attributes). */
  mounted(containerId: string, mounts: ContainerMount[] | undefined): void {
    for (const m of mounts ?? []) {
      if (m.Type !== 'volume') continue;
      this.events.emit('volume', 'mount', m.Name!, {
        container: containerId,
        destination: m.Destination,
        driver: 'local',
        propagation: m.Propagation,
        'read/write': String(m.RW),
      });
    }
  }

  unmounted(containerId: string, mounts: ContainerMount[] | undefined): void {
    for (const m of mounts ?? []) if (m.Type === 'volume') this.events.emit('volume', 'unmount', m.Name!, { container: containerId, driver: 'local' });
  }

  /** After the container is gone: its anonymous volumes go too when asked (`rm -v`, AutoRemove). */
  async containerRemoved(mounts: ContainerMount[] | undefined, removeAnonymous: boolean): Promise<void> {
    if (!removeAnonymous) return;
    for (const m of mounts ?? []) {
      if (m.Type !== 'volume' || !m.anonymous || !this.store.find(m.Name!)) continue;
      if (this.usersOf(m.Name!).length) continue;
      await this.remove(m.Name!).catch(() => {});
    }
  }
}

/** Docker's tmpfs defaults (noexec, nosuid, nodev) plus size and mode. */
function tmpfsOptions(t: { sizeBytes?: number; mode?: number; options?: string[] } | undefined): string[] {
  const out = ['nosuid', 'nodev', 'noexec'];
  if (t?.sizeBytes) out.push(`size=${t.sizeBytes}`);
  if (t?.mode !== undefined) out.push(`mode=${(t.mode & 0o7777).toString(8)}`);
  for (const o of t?.options ?? []) {
    if (['exec', 'suid', 'dev'].includes(o)) {
      const i = out.indexOf(`no${o}`);
      if (i >= 0) out.splice(i, 1);
    } else if (!out.includes(o)) out.push(o);
  }
  return out;
}

/** Inspect's and list's `Mounts` entries. */
export function mountPointsView(mounts: ContainerMount[] | undefined): { Type: 'volume' | 'bind' | 'tmpfs'; Name?: string; Source: string; Destination: string; Driver?: string; Mode: string; RW: boolean; Propagation: string }[] {
  return (mounts ?? []).map((m) => {
    if (m.Type === 'volume') return { Type: 'volume', Name: m.Name, Source: m.Source, Destination: m.Destination, Driver: m.Driver ?? 'local', Mode: m.Mode, RW: m.RW, Propagation: m.Propagation };
    return { Type: m.Type, Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation };
  });
}
