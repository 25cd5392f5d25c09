// The live `docker diff` of a running container: inotify watches (Node's fs.watch, one per directory,
// added as directories appear) on the container's upper dir only. An event marks its directory dirty;
// at most every `debounceMs` the dirty directories are re-read and their entries re-classified
// (classify.ts), and subscribers get the difference to what they saw last. A directory fs.watch cannot
// watch (the inotify watch limit) is polled every `rescanMs` instead.
//
// Nothing runs while nobody watches: the hub creates a watcher for the first subscriber of a container
// and closes it (every fs.watch handle, every timer) when the last one leaves.
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { WatchOptions } from '../schemas.js';
import type { LiveChange, LiveDiffEvent } from '../types.js';
import { LowerView, scanDir, withParents, type RawChange } from './classify.js';

/** Events queued for a subscriber that does not read; beyond this it gets one fresh snapshot instead. */
const MAX_QUEUED = 64;

const depth = (p: string): number => (p === '/' ? 0 : p.split('/').length - 1);

const sameChange = (a: LiveChange, b: LiveChange): boolean => a.kind === b.kind && a.type === b.type && a.size === b.size && a.mtimeMs === b.mtimeMs;

export class Subscription implements AsyncIterableIterator<LiveDiffEvent> {
  private queue: LiveDiffEvent[] = [];
  private waiting: ((r: IteratorResult<LiveDiffEvent>) => void) | undefined;
  private done = false;

  constructor(
    private readonly snapshot: () => LiveDiffEvent,
    private readonly onClose: (s: Subscription) => void,
  ) {
    this.queue.push(snapshot());
  }

  push(ev: LiveDiffEvent): void {
    if (this.done) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: ev, done: false });
      if (ev.type === 'end') this.finish();
      return;
    }
    this.queue.push(ev);
    if (this.queue.length > MAX_QUEUED && ev.type !== 'end') this.queue = [this.snapshot()];
  }

  next(): Promise<IteratorResult<LiveDiffEvent>> {
    const ev = this.queue.shift();
    if (ev) {
      if (ev.type === 'end') this.finish();
      return Promise.resolve({ value: ev, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Unsubscribes (for-await's break, tRPC's unsubscribe). */
  return(): Promise<IteratorResult<LiveDiffEvent>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    this.onClose(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export class UpperDirWatcher {
  private readonly raw = new Map<string, RawChange>();
  /** Directory → the change paths its last scan produced. */
  private readonly byDir = new Map<string, string[]>();
  private readonly subdirs = new Map<string, Set<string>>();
  private readonly watches = new Map<string, FSWatcher>();
  private readonly polled = new Set<string>();
  private readonly dirty = new Set<string>();
  private emitted = new Map<string, RawChange>();
  private readonly subs = new Set<Subscription>();
  private flushTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private closed = false;

  constructor(
    readonly upper: string,
    readonly lower: LowerView,
    private readonly opts: WatchOptions,
    private readonly onIdle: () => void,
  ) {}

  /** Number of fs.watch handles open (0 after close). */
  get watchCount(): number {
    return this.watches.size;
  }

  start(): void {
    if (!this.scanTree('/')) throw new Error(`the container's writable layer ${this.upper} is gone`);
    this.emitted = withParents(this.raw, this.upper);
  }

  subscribe(): Subscription {
    const s = new Subscription(
      () => ({ type: 'snapshot', seq: this.seq, changes: [...this.emitted.values()].sort(byPath) }),
      (x) => {
        this.subs.delete(x);
        if (this.subs.size === 0) this.close();
      },
    );
    this.subs.add(s);
    return s;
  }

  private watchDir(rel: string): void {
    if (this.watches.has(rel) || this.polled.has(rel)) return;
    try {
      const w = watch(path.join(this.upper, rel), { persistent: true }, () => this.markDirty(rel));
      w.on('error', () => this.markDirty(rel));
      this.watches.set(rel, w);
    } catch {
      // ENOSPC (inotify watch limit) and the like: poll this one.
      this.polled.add(rel);
      this.pollTimer ??= setInterval(() => this.polled.forEach((d) => this.markDirty(d)), this.opts.rescanMs);
    }
  }

  /** Scans `rel` and everything below it; false when `rel` is gone. */
  private scanTree(rel: string): boolean {
    const todo = [rel];
    while (todo.length) {
      const dir = todo.pop()!;
      // Watch before reading, so nothing created in between is missed.
      this.watchDir(dir);
      const scan = scanDir(this.upper, dir, this.lower);
      if (!scan) {
        this.forgetDir(dir);
        if (dir === rel) return false;
        continue;
      }
      this.applyScan(dir, scan.changes);
      const known = this.subdirs.get(dir) ?? new Set<string>();
      const now = new Set(scan.subdirs);
      for (const k of known) if (!now.has(k)) this.forgetDir(k);
      this.subdirs.set(dir, now);
      for (const s of scan.subdirs) if (!known.has(s) || !this.byDir.has(s)) todo.push(s);
    }
    return true;
  }

  private applyScan(dir: string, changes: RawChange[]): void {
    for (const p of this.byDir.get(dir) ?? []) this.raw.delete(p);
    for (const c of changes) this.raw.set(c.path, c);
    this.byDir.set(dir, changes.map((c) => c.path));
  }

  private forgetDir(dir: string): void {
    for (const s of this.subdirs.get(dir) ?? []) this.forgetDir(s);
    this.subdirs.delete(dir);
    for (const p of this.byDir.get(dir) ?? []) this.raw.delete(p);
    this.byDir.delete(dir);
    this.watches.get(dir)?.close();
    this.watches.delete(dir);
    this.polled.delete(dir);
  }

  private markDirty(rel: string): void {
    if (this.closed) return;
    this.dirty.add(rel);
    // Throttled, not postponed: a container that writes without pause still shows progress.
    this.flushTimer ??= setTimeout(() => this.flush(), this.opts.debounceMs);
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.closed) return;
    const dirs = [...this.dirty].sort((a, b) => depth(a) - depth(b));
    this.dirty.clear();
    for (const d of dirs) {
      if (d !== '/' && !this.byDir.has(d)) continue; // went away with a parent scanned just now
      if (!this.rescanDir(d) && d === '/') {
        this.end('the container was removed');
        return;
      }
    }
    const next = withParents(this.raw, this.upper);
    const upserts: LiveChange[] = [];
    const removed: string[] = [];
    for (const [p, c] of next) {
      const old = this.emitted.get(p);
      if (!old || !sameChange(old, c)) upserts.push(c);
    }
    for (const p of this.emitted.keys()) if (!next.has(p)) removed.push(p);
    this.emitted = next;
    if (!upserts.length && !removed.length) return;
    this.seq++;
    const ev: LiveDiffEvent = { type: 'delta', seq: this.seq, upserts: upserts.sort(byPath), removed: removed.sort() };
    for (const s of this.subs) s.push(ev);
  }

  /** Re-reads one directory's entries; new subdirectories are scanned whole, vanished ones forgotten. */
  private rescanDir(dir: string): boolean {
    const scan = scanDir(this.upper, dir, this.lower);
    if (!scan) {
      this.forgetDir(dir);
      return false;
    }
    this.applyScan(dir, scan.changes);
    const known = this.subdirs.get(dir) ?? new Set<string>();
    const now = new Set(scan.subdirs);
    for (const k of known) if (!now.has(k)) this.forgetDir(k);
    this.subdirs.set(dir, now);
    for (const s of scan.subdirs) if (!known.has(s)) this.scanTree(s);
    return true;
  }

  private end(reason: string): void {
    this.seq++;
    const ev: LiveDiffEvent = { type: 'end', seq: this.seq, reason };
    for (const s of [...this.subs]) s.push(ev);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
    for (const s of [...this.subs]) void s.return();
    this.subs.clear();
    this.onIdle();
  }
}

const byPath = (a: LiveChange, b: LiveChange): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** One watcher per container, shared by its subscribers. */
export class LiveDiffHub {
  private readonly watchers = new Map<string, UpperDirWatcher>();

  /** Containers watched right now. */
  get active(): number {
    return this.watchers.size;
  }

  /** fs.watch handles open across all watchers. */
  get watchHandles(): number {
    let n = 0;
    for (const w of this.watchers.values()) n += w.watchCount;
    return n;
  }

  subscribe(containerId: string, dirs: { upper: string; lowers: string[] }, opts: WatchOptions): Subscription {
    let w = this.watchers.get(containerId);
    if (!w) {
      const created = new UpperDirWatcher(dirs.upper, new LowerView(dirs.lowers), opts, () => {
        if (this.watchers.get(containerId) === created) this.watchers.delete(containerId);
      });
      try {
        created.start();
      } catch (e) {
        created.close();
        throw e;
      }
      this.watchers.set(containerId, created);
      w = created;
    }
    return w.subscribe();
  }

  close(): void {
    for (const w of [...this.watchers.values()]) w.close();
    this.watchers.clear();
  }
}
