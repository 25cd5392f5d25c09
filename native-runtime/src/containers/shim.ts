// Shim processes: start one per container, find running ones again after a restart, and notice when
// one is done. The shim writes exit.json before it exits, so exit.json is the primary signal; a slow
// liveness poll catches a shim that died without writing it (SIGKILL, OOM of the shim itself).
import * as fs from 'node:fs';
import path from 'node:path';
import { spawnShim, type ShimStarted } from '../native/index.js';
import { replaceJsonSync } from '../util/atomic.js';
import type { ShimSpec } from './spec.js';

export interface ExitFile {
  exitCode: number;
  signal: number;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
  logDropped: number;
}

export const EXIT_FILE = 'exit.json';
const POLL_MS = 2000;

export function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when pid is alive and its argv[0] is berth-shim (not a recycled pid). */
export function isBerthShim(pid: number): boolean {
  try {
    const argv0 = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return path.basename(argv0) === 'berth-shim' && state !== 'Z';
  } catch {
    return false;
  }
}

/** `shimPid initPid` from the pid file, or null. */
export function readPidFile(file: string): { shimPid: number; pid: number } | null {
  try {
    const [a, b] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return a && b ? { shimPid: a, pid: b } : null;
  } catch {
    return null;
  }
}

/** Synchronous: a few hundred bytes, read on the exit path where a thread-pool round trip costs more. */
export async function readExitFile(file: string): Promise<ExitFile | null> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ExitFile;
  } catch {
    return null;
  }
}

export function bootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

export async function startShim(runDir: string, spec: ShimSpec): Promise<ShimStarted> {
  fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const configPath = path.join(runDir, 'shim.json');
  // $BERTH_RUN is tmpfs: nothing to sync.
  replaceJsonSync(configPath, spec, 0o600);
  return spawnShim(configPath);
}

/** Why a container is gone, when the shim left no exit file. */
export type ExitOutcome = { kind: 'exited'; exit: ExitFile } | { kind: 'vanished' };

/** Watches one container until its shim is done; calls onDone exactly once. */
export class ExitWatcher {
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private done = false;
  private checking = false;

  constructor(
    private readonly containerDir: string,
    private readonly shimPid: number,
    private readonly onDone: (o: ExitOutcome) => void,
  ) {
    try {
      this.watcher = fs.watch(containerDir, { persistent: false }, (_ev, name) => {
        if (name === null || name === EXIT_FILE) void this.check();
      });
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      this.watcher = null; // the poll covers it
    }
    this.timer = setInterval(() => void this.check(), POLL_MS);
    this.timer.unref();
    void this.check();
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  /** Looks now (also used after sending a signal, to not wait for the poll). */
  async check(): Promise<void> {
    if (this.done || this.checking) return;
    this.checking = true;
    try {
      const exit = await readExitFile(path.join(this.containerDir, EXIT_FILE));
      if (exit) return this.finish({ kind: 'exited', exit });
      if (processAlive(this.shimPid) && isBerthShim(this.shimPid)) return;
      // The shim writes exit.json before it exits; one more look closes the race with that rename.
      const late = await readExitFile(path.join(this.containerDir, EXIT_FILE));
      this.finish(late ? { kind: 'exited', exit: late } : { kind: 'vanished' });
    } finally {
      this.checking = false;
    }
  }

  private finish(o: ExitOutcome): void {
    if (this.done) return;
    this.done = true;
    this.close();
    this.onDone(o);
  }

  /** Keeps the process alive while someone awaits this exit (the poll timer is unref'd otherwise). */
  hold(): void {
    this.timer?.ref();
  }

  close(): void {
    this.closeWatcher();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
