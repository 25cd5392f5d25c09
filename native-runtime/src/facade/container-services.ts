// The container operations beyond the state machine: exec, attach, resize, stats, top, changes,
// archive, update, prune and health checks. Each lives in its own module; this wires them to the
// ContainerManager and answers the Berth facade.
import path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import type { CgroupDriver } from '../cgroups/types.js';
import { getArchive, infoArchive, putArchive, type ArchiveDeps } from '../container-fs/archive.js';
import { containerChanges } from '../container-fs/changes.js';
import { dirSnapshotChanges } from '../snapshots/upper-view.js';
import { INIT_LAYER_DIR } from '../containers/init-layer.js';
import type { AttachOptions, FiltersArg, UpdateOptions } from '../engine/engine.js';
import type { ContainerChange, ContainerStats, ContainerTop, ContainerUpdateResponse, ExecCreateOptions, PathStat, PruneResponse } from '../engine/types.js';
import { conflict, internal } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { checkFilterNames, labelMatches, normalizeFilters } from '../events/filters.js';
import { parseTimeArg } from '../events/time.js';
import { ExecManager } from '../exec/manager.js';
import { HealthMonitor } from '../health/monitor.js';
import type { ImageStores } from '../images/open.js';
import { demux } from '../logs/format.js';
import { layerDirs } from '../containers/rootfs-files.js';
import { StatsCollector } from '../stats/collector.js';
import { top } from '../stats/top.js';
import { attachContainer, resizeContainer } from '../containers/attach.js';
import type { ContainerManager } from '../containers/manager.js';
import { isActive } from '../containers/record.js';
import type { ContainerRecord } from '../containers/record.js';
import { attachSocketPath } from '../containers/spec.js';
import { LiveUpdater } from '../containers/live-update.js';

export interface ServicesDeps {
  containers: ContainerManager;
  cgroups: CgroupDriver;
  stores: ImageStores;
  events: EventBus;
  run: string;
  /** Only the lock holder runs health checks. */
  readOnly: boolean;
}

/** Paths the shim creates in the upper dir as mount points; not changes of the container's own. */
const MOUNT_POINTS = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/proc', '/sys', '/dev']);

export class ContainerServices {
  readonly exec: ExecManager;
  readonly stats: StatsCollector;
  readonly health: HealthMonitor<ContainerRecord>;
  private readonly updater: LiveUpdater;

  constructor(private readonly d: ServicesDeps) {
    const m = d.containers;
    this.updater = new LiveUpdater({ containers: m, cgroups: d.cgroups });
    this.exec = new ExecManager({
      run: d.run,
      container: (x) => m.get(x),
      cgroupPaths: (id) => d.cgroups.paths(id),
      emit: (rec, action, extra) => m.event(rec, action, extra),
    });
    this.stats = new StatsCollector({ cgroups: d.cgroups, lookup: (id) => m.find(id) });
    this.health = new HealthMonitor({
      run: (rec, cmd, timeoutMs) => this.probe(rec, cmd, timeoutMs),
      save: (rec) => m.saveState(rec),
      emit: (rec, action) => m.event(rec, action),
    });
    if (!d.readOnly) {
      m.setHooks({
        started: (rec, fresh) => this.health.start(rec, fresh),
        exited: (rec) => {
          this.health.stop(rec.cfg.id);
          this.exec.containerExited(rec.cfg.id);
        },
      });
    }
  }

  close(): void {
    this.health.close();
    this.stats.close();
  }

  // ─────────────────────────── exec / attach ───────────────────────────

  async execCreate(idOrName: string, opts: ExecCreateOptions): Promise<string> {
    await this.d.containers.refresh();
    return this.exec.create(idOrName, opts);
  }

  /** One health probe: an exec that collects stdout+stderr, killed after the timeout. */
  private async probe(rec: ContainerRecord, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    let id: string;
    try {
      id = this.exec.create(rec.cfg.id, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
    } catch (e) {
      return { exitCode: -1, output: (e as Error).message };
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.exec.kill(id);
    }, timeoutMs);
    try {
      const stream = await this.exec.start(id, {});
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const code = await this.exec.get(id).exited;
      const d = demux(Buffer.concat(chunks));
      if (timedOut) return { exitCode: -1, output: `Health check exceeded timeout (${fmtDuration(timeoutMs)})` };
      return { exitCode: code, output: Buffer.concat([d.stdout, d.stderr]).toString() };
    } catch (e) {
      return { exitCode: -1, output: (e as Error).message };
    } finally {
      clearTimeout(timer);
      this.exec.forget(id);
    }
  }

  async attach(idOrName: string, opts: AttachOptions): Promise<Duplex> {
    await this.d.containers.refresh();
    const rec = this.d.containers.get(idOrName);
    return attachContainer(
      {
        rec,
        socket: attachSocketPath(this.d.run, rec.cfg.id),
        logs: async () => (await this.d.containers.logs(rec.cfg.id, { stdout: opts.stdout, stderr: opts.stderr })) as Buffer,
        pending: this.d.containers.pendingAttaches,
      },
      opts,
    );
  }

  async resize(idOrName: string, h: number, w: number): Promise<void> {
    const rec = this.d.containers.get(idOrName);
    await resizeContainer(rec, attachSocketPath(this.d.run, rec.cfg.id), h, w);
  }

  // ─────────────────────────── stats / top / changes ───────────────────────────

  async statsOnce(idOrName: string, oneShot: boolean): Promise<ContainerStats> {
    await this.d.containers.refresh();
    return this.stats.once(this.d.containers.get(idOrName), oneShot);
  }

  statsStream(idOrName: string): Readable {
    return this.stats.stream(this.d.containers.get(idOrName).cfg.id);
  }

  async top(idOrName: string, psArgs?: string): Promise<ContainerTop> {
    await this.d.containers.refresh();
    const rec = this.d.containers.get(idOrName);
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw conflict(`Container ${rec.cfg.id} is not running`);
    return top(await this.d.cgroups.pids(rec.cfg.id), psArgs);
  }

  async changes(idOrName: string): Promise<ContainerChange[] | null> {
    await this.d.containers.refresh();
    const rec = this.d.containers.get(idOrName);
    const snaps = this.d.stores.snapshots;
    if (snaps.driver !== 'overlay') {
      // btrfs/vfs: the tree against the image's and the init layer's (moby's ChangesDirs).
      const init = path.join(await snaps.dirPath(rec.cfg.snapshotKey), INIT_LAYER_DIR);
      const out = await dirSnapshotChanges(snaps, rec.cfg.snapshotKey, [init]);
      return out.length ? out : null;
    }
    const layers = layerDirs(await snaps.mounts(rec.cfg.snapshotKey));
    const [upper, ...lowers] = layers;
    if (!upper) throw internal(`container ${rec.cfg.id.slice(0, 12)} has no writable layer`);
    const out = await containerChanges(upper, lowers, MOUNT_POINTS);
    return out.length ? out : null;
  }

  // ─────────────────────────── archive ───────────────────────────

  private archiveDeps(rec: ContainerRecord): ArchiveDeps {
    return { rec, dir: this.d.containers.dirOf(rec.cfg.id), snapshots: this.d.stores.snapshots };
  }

  infoArchive(idOrName: string, p: string): Promise<PathStat> {
    return this.d.containers.exclusive(idOrName, (rec) => infoArchive(this.archiveDeps(rec), p));
  }

  getArchive(idOrName: string, p: string): Promise<{ stream: Readable; stat: PathStat }> {
    return this.d.containers.exclusive(idOrName, (rec) => getArchive(this.archiveDeps(rec), p));
  }

  putArchive(idOrName: string, tar: Readable, p: string, opts: { noOverwriteDirNonDir?: boolean }): Promise<void> {
    return this.d.containers.exclusive(idOrName, (rec) => putArchive(this.archiveDeps(rec), tar, p, opts));
  }

  // ─────────────────────────── update / prune ───────────────────────────

  update(idOrName: string, body: UpdateOptions): Promise<ContainerUpdateResponse> {
    return this.updater.update(idOrName, body);
  }

  async pruneContainers(filters?: FiltersArg): Promise<PruneResponse> {
    const f = normalizeFilters(filters);
    checkFilterNames(f, ['until', 'label', 'label!']);
    const until = (f.get('until') ?? []).map((u) => parseTimeArg(u)!);
    const m = this.d.containers;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of m.all()) {
      if (isActive(rec) || rec.state.status === 'removing') continue;
      const labels = rec.cfg.config.Labels ?? {};
      if (!(f.get('label') ?? []).every((l) => labelMatches(l, labels))) continue;
      if ((f.get('label!') ?? []).some((l) => labelMatches(l, labels))) continue;
      const created = BigInt(Date.parse(rec.cfg.created)) * 1_000_000n;
      if (until.some((u) => created >= u)) continue;
      const size = (await m.sizes(rec)).rw;
      try {
        await m.remove(rec.cfg.id, {});
      } catch {
        continue; // started or removed meanwhile
      }
      deleted.push(rec.cfg.id);
      reclaimed += size;
    }
    this.d.events.emit('container', 'prune', '', { reclaimed: String(reclaimed) });
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }
}

function fmtDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

