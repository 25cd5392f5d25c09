// The container lifecycle: start, stop, kill, restart, pause, remove, wait, rename, what happens when a
// shim reports an exit, and restart policies. Every state change is saved (atomically) before it is
// announced with an event. The other jobs are beside it: create.ts (create and its config),
// queries.ts (inspect, list, logs), recovery.ts (after an engine restart); ContainerManager is the
// one object the engine holds and routes those calls there.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { CgroupDriver } from '../cgroups/types.js';
import type { ContainerCreateBody, ContainerInspect, ContainerSummary, ContainerWaitResponse } from '../engine/types.js';
import { badParameter, conflict, EngineError, internal, isPaused, notModified, notRunning, removePaused, removeRunning } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { ImageStores } from '../images/open.js';
import { rfc3339Nano } from '../images/time.js';
import { ShimStartError } from '../native/index.js';
import { etcPaths } from '../networks/etc-files.js';
import type { NetworkEndpoints } from '../networks/index.js';
import { shouldRestart } from '../restart/policy.js';
import type { UsernsService } from '../userns/index.js';
import { containerLowers } from './rootfs-files.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import type { VolumeService } from '../volumes/index.js';
import { createContainer, NAME_RE } from './create.js';
import { withInitLayer } from './init-layer.js';
import { PendingAttaches } from './pending-attach.js';
import { ContainerQueries, type LogsArgs } from './queries.js';
import { GO_ZERO_TIME, isActive, type ContainerRecord } from './record.js';
import { recoverContainers, startWithEngine, type Recoverable } from './recovery.js';
import { bootId, ExitWatcher, EXIT_FILE, startShim, type ExitFile, type ExitOutcome } from './shim.js';
import { attachSocketPath, buildShimSpec, shimRunDir } from './spec.js';
import type { ContainerStore } from './store.js';
import { parseSignal } from './units.js';
import { Waiters, type WaitCondition } from './waiters.js';

export { SNAPSHOT_PREFIX } from './create.js';
export type { LogsArgs } from './queries.js';
export { GO_ZERO_TIME, isActive };

export interface ManagerDeps {
  store: ContainerStore;
  stores: ImageStores;
  cgroups: CgroupDriver;
  events: EventBus;
  run: string;
  readOnly: boolean;
  /** Mounts (src/volumes). */
  volumes: VolumeService;
  /** A container's network endpoints and published ports (src/networks). */
  networks: NetworkEndpoints<ContainerRecord>;
  /** User namespaces (issue #19); mode host: every container uses the host's ids. */
  userns: UsernsService;
}

/** What other services (health, exec, stats) need to hear about; only the lock holder gets these. */
export interface ContainerHooks {
  /** fresh: started now (false: found running after a restart of Berth). */
  started?(rec: ContainerRecord, fresh: boolean): void;
  exited?(rec: ContainerRecord): void;
}

const SIGKILL = 9;
const SIGTERM = 15;
const KILL_WAIT_MS = 30_000;

/** The shim writes a fixed 9-digit fraction; Docker shows Go's RFC3339Nano (trailing zeros trimmed). */
const trimTime = (s: string): string => s.replace(/\.(\d*?)0*Z$/, (_m, f: string) => (f ? `.${f}Z` : 'Z'));

export class ContainerManager {
  private readonly watchers = new Map<string, ExitWatcher>();
  private readonly exitListeners = new Map<string, Array<() => void>>();
  private readonly waiters = new Waiters();
  private readonly mutex = new KeyedMutex();
  private readonly removing = new Set<string>();
  /** Attachments made while a container was not running; its next start connects them (attach.ts). */
  readonly pendingAttaches = new PendingAttaches();
  /** Containers inside restart(): their exit is not an AutoRemove. */
  private readonly restartingNow = new Set<string>();
  private hooks: ContainerHooks = {};
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  /** Cgroup removals still running after an exit, and groups this process has removed. */
  private readonly cgroupCleanup = new Map<string, Promise<void>>();
  private readonly groupFreed = new Set<string>();
  private readonly queries: ContainerQueries;

  constructor(private readonly d: ManagerDeps) {
    this.queries = new ContainerQueries(d);
  }

  setHooks(h: ContainerHooks): void {
    this.hooks = h;
  }

  /** Runs fn under the container's lock (no start/stop/remove meanwhile). */
  exclusive<T>(idOrName: string, fn: (rec: ContainerRecord) => Promise<T>): Promise<T> {
    const rec = this.store.get(idOrName);
    return this.mutex.run(rec.cfg.id, () => fn(rec));
  }

  /** The record, by id, name or unique prefix (404 otherwise). */
  get(idOrName: string): ContainerRecord {
    return this.store.get(idOrName);
  }

  find(id: string): ContainerRecord | undefined {
    return this.store.find(id);
  }

  dirOf(id: string): string {
    return this.dir(id);
  }

  async saveState(rec: ContainerRecord): Promise<void> {
    if (this.store.has(rec.cfg.id)) await this.store.saveState(rec);
  }

  async saveConfig(rec: ContainerRecord): Promise<void> {
    await this.store.saveConfig(rec);
  }

  /** Emits a container event with the container's attributes. */
  event(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.emit(rec, action, extra);
  }

  private get store(): ContainerStore {
    return this.d.store;
  }

  private dir(id: string): string {
    return this.store.dir(id);
  }

  private attrs(rec: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
    return { ...(rec.cfg.config.Labels ?? {}), image: rec.cfg.config.Image, name: rec.cfg.name.slice(1), ...extra };
  }

  private emit(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.d.events.emit('container', action, rec.cfg.id, this.attrs(rec, extra));
  }

  /** Read-only instances see the writer's latest files. */
  refresh(): Promise<void> {
    return this.queries.refresh();
  }

  // ─────────────────────────── create ───────────────────────────

  create(body: ContainerCreateBody): Promise<{ id: string; warnings: string[] }> {
    return createContainer({ ...this.d, emit: (rec, action) => this.emit(rec, action) }, body);
  }

  // ─────────────────────────── start ───────────────────────────

  start(idOrName: string): Promise<void> {
    const rec = this.store.get(idOrName);
    return this.mutex.run(rec.cfg.id, () => this.startLocked(rec));
  }

  private async startLocked(rec: ContainerRecord): Promise<void> {
    const id = rec.cfg.id;
    const st = rec.state;
    if (st.status === 'running') throw notModified();
    if (st.status === 'paused') throw conflict('cannot start a paused container, try unpause instead');
    if (this.removing.has(id) || !this.store.has(id)) throw conflict(`container ${id} is marked for removal and cannot be started`);
    const made = rec.cfg.storageDriver ?? 'overlay';
    if (made !== this.d.stores.snapshots.driver) {
      // Each driver keeps its own snapshots (docs/storage.md): this one's layer is in the other's.
      throw conflict(`container ${id.slice(0, 12)} was created with the ${made} storage driver; this engine uses ${this.d.stores.snapshots.driver} (start it with BERTH_STORAGE_DRIVER=${made})`);
    }
    const runDir = shimRunDir(this.d.run, id);
    const exitFile = path.join(this.dir(id), EXIT_FILE);
    // The last exit's cleanup may still run; a group left by a crash of Berth is removed here. A fresh
    // container, or one whose group this process removed, has none.
    const pending = this.cgroupCleanup.get(id);
    fs.rmSync(exitFile, { force: true });
    await (pending ?? (st.startedAt !== GO_ZERO_TIME && !this.groupFreed.has(id) ? this.d.cgroups.remove(id).catch(() => {}) : undefined));
    this.groupFreed.delete(id);
    // The groups are made while the rest of the start is prepared (independent work).
    const groups = this.d.cgroups.create(id, rec.cfg.limits).then(
      () => null,
      (e: Error) => internal(`creating the cgroups of ${id.slice(0, 12)} failed: ${e.message}`, e),
    );
    let started;
    try {
      const net = await this.d.networks.prepareStart(rec);
      const spec = await buildShimSpec({
        mounts: this.d.volumes.shimMounts(rec.cfg.mounts),
        net,
        cfg: rec.cfg,
        overlay: withInitLayer(containerLowers(await this.d.stores.snapshots.mounts(rec.cfg.snapshotKey), rec.cfg), await this.d.stores.snapshots.dirPath(rec.cfg.snapshotKey)),
        etc: etcPaths(this.dir(id)),
        cgroupPaths: this.d.cgroups.paths(id),
        cgroupDriver: this.d.cgroups,
        logPath: path.join(this.store.logDir(id), 'container.log'),
        exitFile,
        pidFile: path.join(runDir, 'shim.pid'),
        attachSocket: attachSocketPath(this.d.run, id),
      });
      const groupsFailed = await groups;
      if (groupsFailed) throw groupsFailed;
      if (this.pendingAttaches.has(id)) spec.waitForAttach = true;
      if (rec.cfg.userns) {
        // The container's root reaches its mount point through these (search only; see create).
        fs.mkdirSync(runDir, { recursive: true, mode: 0o711 });
        for (const d of [this.d.run, runDir]) fs.chmodSync(d, 0o711);
      }
      started = await startShim(runDir, spec);
      if (started.waitingForAttach) await this.pendingAttaches.connect(id, attachSocketPath(this.d.run, id));
    } catch (e) {
      await groups;
      await this.d.cgroups.remove(id).catch(() => {});
      const err = await this.startFailed(rec, await this.d.networks.startFailed(rec, e));
      // As dockerd: the attached streams end, and an AutoRemove container goes (once this start has let go).
      this.pendingAttaches.drop(id);
      if (rec.cfg.hostConfig.AutoRemove) setImmediate(() => void this.remove(id, { force: true }).catch(() => {}));
      throw err;
    }
    const netFailure = this.d.networks.started(rec, started);
    this.d.volumes.mounted(id, rec.cfg.mounts);
    Object.assign(rec.state, {
      status: 'running',
      pid: started.pid,
      shimPid: started.shimPid,
      exitCode: 0,
      oomKilled: false,
      error: '',
      startedAt: rfc3339Nano(),
      bootId: bootId(),
      stopping: false,
      manuallyStopped: false,
    });
    this.hooks.started?.(rec, true);
    await this.store.saveState(rec);
    // An attach that arrived while this start was under way is connected late rather than left waiting.
    if (this.pendingAttaches.has(id)) void this.pendingAttaches.connect(id, attachSocketPath(this.d.run, id));
    if (netFailure) {
      // The process runs already but a further network could not be attached (src/networks): the
      // start fails, as Docker's does, and the kill is recorded as an ordinary exit.
      this.watch(rec);
      rec.state.manuallyStopped = true;
      this.signal(rec, SIGKILL);
      await this.exited(rec, KILL_WAIT_MS);
      rec.state.error = netFailure.message;
      await this.store.saveState(rec).catch(() => {});
      throw netFailure;
    }
    this.emit(rec, 'start');
    this.watch(rec);
  }

  /** Records the failure the way Docker does (ExitCode 127 for a missing binary, 126 otherwise). */
  private async startFailed(rec: ContainerRecord, e: unknown): Promise<EngineError> {
    if (e instanceof EngineError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    const notFound = e instanceof ShimStartError && (e.errno === 2 || /no such file|not found/i.test(msg));
    rec.state.exitCode = notFound ? 127 : 126;
    rec.state.error = msg;
    await this.store.saveState(rec).catch(() => {});
    const userError = e instanceof ShimStartError && ['exec', 'cwd', 'user'].includes(e.stage);
    return new EngineError(userError || notFound ? 400 : 500, `failed to start container ${rec.cfg.id.slice(0, 12)}: ${msg}`, { cause: e });
  }

  private watch(rec: ContainerRecord): void {
    const id = rec.cfg.id;
    this.watchers.get(id)?.close();
    const w = new ExitWatcher(this.dir(id), rec.state.shimPid, (o) => {
      this.watchers.delete(id);
      void this.onShimDone(rec, o).catch(() => {});
    });
    this.watchers.set(id, w);
  }

  // ─────────────────────────── exit ───────────────────────────

  private async onShimDone(rec: ContainerRecord, o: ExitOutcome): Promise<void> {
    const shimPid = rec.state.shimPid;
    if (o.kind === 'exited') {
      this.applyExit(rec, o.exit);
      await this.finishExit(rec);
    } else {
      await this.recordLost(rec, `berth-shim (pid ${shimPid}) disappeared without recording the container's exit; its processes were killed`);
    }
  }

  /** The run ended with no exit record (shim gone, host rebooted): Docker's 255 with the reason. */
  private async recordLost(rec: ContainerRecord, error: string): Promise<void> {
    Object.assign(rec.state, { status: 'exited', exitCode: 255, oomKilled: false, finishedAt: rfc3339Nano(), error });
    await this.finishExit(rec);
  }

  private applyExit(rec: ContainerRecord, exit: ExitFile): void {
    Object.assign(rec.state, {
      status: 'exited',
      exitCode: exit.exitCode,
      oomKilled: exit.oomKilled,
      finishedAt: trimTime(exit.finishedAt),
      error: '',
    });
  }

  /** Common tail of every exit: clean up, save, announce, answer waiters, AutoRemove. */
  private async finishExit(rec: ContainerRecord): Promise<void> {
    const id = rec.cfg.id;
    const stopping = rec.state.stopping;
    rec.state.pid = 0;
    rec.state.shimPid = 0;
    rec.state.stopping = false;
    await this.d.networks.exited(rec).catch(() => {});
    this.d.volumes.unmounted(id, rec.cfg.mounts);
    this.hooks.exited?.(rec);
    const again = this.removing.has(id) ? { restart: false, delayMs: 0 } : shouldRestart({
      policy: rec.cfg.hostConfig.RestartPolicy,
      exitCode: rec.state.exitCode,
      manuallyStopped: !!rec.state.manuallyStopped || stopping === true,
      restartCount: rec.state.restartCount,
      ranMs: Date.parse(rec.state.finishedAt) - Date.parse(rec.state.startedAt),
      lastDelayMs: rec.state.restartDelayMs ?? 0,
    });
    if (again.restart) {
      rec.state.status = 'restarting';
      rec.state.restartDelayMs = again.delayMs;
    }
    // Kills anything the shim left behind and frees the group. That is cleanup, and slow on v1 (freeze,
    // kill, one rmdir per hierarchy), so waiters do not wait for it; start and remove do (cgroupCleanup).
    // Its calls are synchronous, so it begins on the next turn of the loop, after the waiters are answered.
    const cleanup = new Promise<void>((r) => setImmediate(r)).then(() => this.d.cgroups.remove(id)).catch(() => {});
    this.cgroupCleanup.set(id, cleanup);
    void cleanup.then(() => {
      this.groupFreed.add(id);
      if (this.cgroupCleanup.get(id) === cleanup) this.cgroupCleanup.delete(id);
    });
    if (this.store.has(id)) await this.store.saveState(rec);
    if (rec.state.oomKilled) this.emit(rec, 'oom');
    this.emit(rec, 'die', { exitCode: String(rec.state.exitCode) });
    if (stopping) this.emit(rec, 'stop');
    for (const l of this.exitListeners.get(id) ?? []) l();
    this.exitListeners.delete(id);
    this.waiters.exited(id, rec.state.exitCode);
    if (again.restart) this.scheduleRestart(rec, again.delayMs);
    if (rec.cfg.hostConfig.AutoRemove && this.store.has(id) && !this.removing.has(id) && !this.restartingNow.has(id)) {
      await this.remove(id, { force: true }).catch(() => {});
    }
  }

  /** Resolves once the current run has been recorded as exited (or at once if not running). */
  private exited(rec: ContainerRecord, timeoutMs: number): Promise<boolean> {
    if (!isActive(rec)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      const list = this.exitListeners.get(rec.cfg.id) ?? [];
      list.push(() => {
        clearTimeout(t);
        resolve(true);
      });
      this.exitListeners.set(rec.cfg.id, list);
      this.watchers.get(rec.cfg.id)?.hold();
      void this.watchers.get(rec.cfg.id)?.check();
    });
  }

  // ─────────────────────────── stop / kill / restart ───────────────────────────

  stop(idOrName: string, opts: { t?: number; signal?: string } = {}): Promise<void> {
    const rec = this.store.get(idOrName);
    return this.mutex.run(rec.cfg.id, () => this.stopLocked(rec, opts));
  }

  private async stopLocked(rec: ContainerRecord, opts: { t?: number; signal?: string }): Promise<void> {
    if (!isActive(rec)) throw notModified();
    const sig = parseSignal(opts.signal || rec.cfg.config.StopSignal, SIGTERM);
    const t = opts.t ?? rec.cfg.config.StopTimeout ?? 10;
    rec.state.manuallyStopped = true;
    if (await this.cancelRestart(rec)) return;
    rec.state.stopping = true;
    if (rec.state.status === 'paused') await this.d.cgroups.thaw(rec.cfg.id).catch(() => {});
    this.signal(rec, sig);
    if (t >= 0 && (await this.exited(rec, t * 1000))) return;
    this.signal(rec, SIGKILL);
    if (!(await this.exited(rec, KILL_WAIT_MS))) {
      throw internal(`container ${rec.cfg.id.slice(0, 12)} did not exit ${KILL_WAIT_MS / 1000}s after SIGKILL`);
    }
  }

  private signal(rec: ContainerRecord, sig: number): void {
    this.emit(rec, 'kill', { signal: String(sig) });
    try {
      process.kill(rec.state.pid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw internal(`kill ${rec.state.pid}: ${(e as Error).message}`, e);
    }
    void this.watchers.get(rec.cfg.id)?.check();
  }

  kill(idOrName: string, opts: { signal?: string | number } = {}): Promise<void> {
    const rec = this.store.get(idOrName);
    return this.mutex.run(rec.cfg.id, async () => {
      if (!isActive(rec) || rec.state.status === 'restarting') throw notRunning(rec.cfg.id);
      if (rec.state.status === 'paused') throw isPaused(rec.cfg.id);
      const sig = parseSignal(opts.signal, SIGKILL);
      rec.state.manuallyStopped = true;
      this.signal(rec, sig);
      // SIGKILL cannot be ignored: answer once the exit is recorded, as dockerd does.
      if (sig === SIGKILL) await this.exited(rec, KILL_WAIT_MS);
    });
  }

  restart(idOrName: string, opts: { t?: number } = {}): Promise<void> {
    const rec = this.store.get(idOrName);
    return this.mutex.run(rec.cfg.id, async () => {
      // As dockerd does, the stop half of a restart does not trigger AutoRemove.
      this.restartingNow.add(rec.cfg.id);
      try {
        if (isActive(rec)) await this.stopLocked(rec, opts);
      } finally {
        this.restartingNow.delete(rec.cfg.id);
      }
      await this.startLocked(rec);
      this.emit(rec, 'restart');
    });
  }

  pause(idOrName: string): Promise<void> {
    const rec = this.store.get(idOrName);
    return this.mutex.run(rec.cfg.id, async () => {
      if (rec.state.status === 'paused') throw conflict(`Container ${rec.cfg.id} is already paused`);
      if (rec.state.status !== 'running') throw notRunning(rec.cfg.id);
      await this.d.cgroups.freeze(rec.cfg.id);
      rec.state.status = 'paused';
      await this.store.saveState(rec);
      this.emit(rec, 'pause');
    });
  }

  unpause(idOrName: string): Promise<void> {
    const rec = this.store.get(idOrName);
    return this.mutex.run(rec.cfg.id, async () => {
      if (rec.state.status !== 'paused') throw conflict(`Container ${rec.cfg.id} is not paused`);
      await this.d.cgroups.thaw(rec.cfg.id);
      rec.state.status = 'running';
      await this.store.saveState(rec);
      this.emit(rec, 'unpause');
    });
  }

  // ─────────────────────────── remove / rename / wait ───────────────────────────

  remove(idOrName: string, opts: { force?: boolean; v?: boolean } = {}): Promise<void> {
    const rec = this.store.get(idOrName);
    const id = rec.cfg.id;
    if (this.removing.has(id)) return Promise.reject(conflict(`removal of container ${id.slice(0, 12)} is already in progress`));
    return this.mutex.run(id, async () => {
      if (!this.store.has(id)) return; // removed meanwhile (AutoRemove)
      if (rec.state.status === 'paused' && !opts.force) throw removePaused(id);
      if (isActive(rec) && !opts.force) throw removeRunning(id);
      this.removing.add(id);
      try {
        await this.cancelRestart(rec);
        await this.cgroupCleanup.get(id);
        if (isActive(rec)) {
          if (rec.state.status === 'paused') await this.d.cgroups.thaw(id).catch(() => {});
          this.signal(rec, SIGKILL);
          await this.exited(rec, KILL_WAIT_MS);
        }
        this.watchers.get(id)?.close();
        this.watchers.delete(id);
        this.hooks.exited?.(rec);
        await this.d.cgroups.remove(id).catch(() => {});
        // Made durable a moment later, like the create (util/atomic.ts): only a power loss in that moment
        // can bring the record back, and a record whose files are gone fails its next start clearly.
        await this.d.stores.snapshots.remove(rec.cfg.snapshotKey, { durability: 'deferred' }).catch((e: Error) => {
          if (!/does not exist/.test(e.message)) throw e;
        });
        fs.rmSync(shimRunDir(this.d.run, id), { recursive: true, force: true }); // tmpfs, a few entries
        await this.store.delete(id);
        await this.d.networks.release(rec).catch(() => {});
        await this.d.volumes.containerRemoved(rec.cfg.mounts, !!opts.v || rec.cfg.hostConfig.AutoRemove).catch(() => {});
        if (rec.cfg.userns) await this.d.userns.release(id);
        // The fallback's layer copies go with the last container of their range that stacks them.
        // (A failure leaves them to the next engine start's collection; the container is gone either way.)
        if (rec.cfg.usernsLowers) await this.d.userns.collectCopies(this.store.all().map((r) => r.cfg.usernsLowers)).catch(() => {});
      } finally {
        this.removing.delete(id);
      }
      this.pendingAttaches.drop(id);
      this.emit(rec, 'destroy');
      this.waiters.removed(id, rec.state.exitCode);
    });
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    const rec = this.store.get(idOrName);
    if (!newName) throw badParameter('Neither old nor new names may be empty');
    const name = newName.startsWith('/') ? newName : `/${newName}`;
    if (!NAME_RE.test(name)) throw badParameter(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (name === rec.cfg.name) throw badParameter('Renaming a container with the same name as its current name');
    await this.mutex.run(rec.cfg.id, async () => {
      this.store.checkName(name, rec.cfg.id);
      const oldName = rec.cfg.name;
      rec.cfg.name = name;
      try {
        await this.store.saveConfig(rec);
      } catch (e) {
        rec.cfg.name = oldName;
        throw e;
      }
      this.emit(rec, 'rename', { oldName });
    });
  }

  wait(idOrName: string, condition: WaitCondition = 'not-running'): Promise<ContainerWaitResponse> {
    const rec = this.store.get(idOrName);
    if (condition === 'not-running' && !isActive(rec)) return Promise.resolve({ Error: null, StatusCode: rec.state.exitCode });
    if (this.d.readOnly) return this.pollWait(rec.cfg.id, condition);
    this.watchers.get(rec.cfg.id)?.hold();
    return this.waiters.add(rec.cfg.id, condition);
  }

  /** A read-only instance has no watchers: look at the writer's files until the condition holds. */
  private async pollWait(id: string, condition: WaitCondition): Promise<ContainerWaitResponse> {
    let last = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      await this.store.load();
      const rec = this.store.find(id);
      if (!rec) return { Error: null, StatusCode: last };
      last = rec.state.exitCode;
      if (condition !== 'removed' && !isActive(rec)) return { Error: null, StatusCode: last };
    }
  }

  // ─────────────────────────── views ───────────────────────────

  inspect(idOrName: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    return this.queries.inspect(idOrName, opts);
  }

  sizes(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    return this.queries.sizes(rec);
  }

  list(opts: Parameters<ContainerQueries['list']>[0] = {}): Promise<ContainerSummary[]> {
    return this.queries.list(opts);
  }

  logs(idOrName: string, opts: LogsArgs): Promise<Buffer | Readable> {
    return this.queries.logs(idOrName, opts);
  }

  all(): ContainerRecord[] {
    return this.store.all();
  }

  // ─────────────────────────── recovery ───────────────────────────

  /** After a (re)start of the server: re-attach to running shims, record exits that happened meanwhile (recovery.ts). */
  recover(): Promise<void> {
    return recoverContainers(this.recoverable(), this.d.cgroups);
  }

  /** At engine start: `always`, and `unless-stopped` unless stopped by the user, come back up. */
  startWithEngine(): Promise<void> {
    return startWithEngine(this.recoverable());
  }

  private recoverable(): Recoverable {
    return {
      all: () => this.store.all(),
      dirOf: (id) => this.dir(id),
      runDirOf: (id) => shimRunDir(this.d.run, id),
      start: (id) => this.start(id),
      remove: (id, opts) => this.remove(id, opts),
      recordExit: async (rec, exit) => {
        this.applyExit(rec, exit);
        await this.finishExit(rec);
      },
      recordLost: (rec, error) => this.recordLost(rec, error),
      adopt: async (rec) => {
        await this.store.saveState(rec);
        this.watch(rec);
        this.hooks.started?.(rec, false);
      },
    };
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
  }

  // ─────────────────────────── restart policies ───────────────────────────

  private scheduleRestart(rec: ContainerRecord, delayMs: number): void {
    const id = rec.cfg.id;
    clearTimeout(this.restartTimers.get(id));
    const t = setTimeout(() => {
      this.restartTimers.delete(id);
      void this.mutex
        .run(id, async () => {
          if (rec.state.status !== 'restarting' || !this.store.has(id)) return;
          rec.state.restartCount++;
          try {
            await this.startLocked(rec);
          } catch {
            // startFailed recorded the error; the policy does not loop on a start that cannot work.
            rec.state.status = 'exited';
            await this.store.saveState(rec).catch(() => {});
          }
        })
        .catch(() => {});
    }, delayMs);
    t.unref();
    this.restartTimers.set(id, t);
  }

  /** A pending policy restart is cancelled (stop, remove): the container stays exited. True if there was one. */
  private async cancelRestart(rec: ContainerRecord): Promise<boolean> {
    const t = this.restartTimers.get(rec.cfg.id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(rec.cfg.id);
    if (rec.state.status !== 'restarting') return false;
    rec.state.status = 'exited';
    await this.saveState(rec);
    return true;
  }}
