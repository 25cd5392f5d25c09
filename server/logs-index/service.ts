// Server side of the log index: keeps the indexer process running (restarted if it dies, at idle CPU and
// I/O priority so the containers keep both) and owns the read-only LogSearch the tRPC routers and log alert rules use.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FromIndexer } from './ipc.ts';
import { LogSearch } from './search.ts';

/** util-linux's chrt and ionice, when installed: the indexer is started through them (no fork in Node). */
function which(cmd: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
const CHRT = which('chrt');
const IONICE = which('ionice');

/**
 * SCHED_IDLE (chrt --idle) and the idle I/O class (ionice -c 3), applied once the indexer has started (its
 * start-up, compiling TypeScript, runs at nice 19 so it is not delayed behind a busy machine): the
 * containers always win the CPU and the disk, and the indexer catches up when they leave some. Not a
 * starvation risk: Linux gives SCHED_IDLE a weight of 3 (nice 19 has 15), so it still advances, only
 * slower. BERTH_LOGS_SCHED=nice keeps plain nice 19.
 */
function idlePriority(pid: number): void {
  if (process.env['BERTH_LOGS_SCHED'] === 'nice') return;
  const quiet = { stdio: 'ignore' as const };
  try {
    // --all-tasks: V8's GC and libuv threads, started before this call, would keep normal priority.
    if (CHRT) execFileSync(CHRT, ['--all-tasks', '--idle', '-p', '0', String(pid)], quiet);
    if (IONICE) execFileSync(IONICE, ['-c', '3', '-p', String(pid)], quiet);
  } catch {
    /* not allowed (no CAP_SYS_NICE): stays at nice 19 */
  }
}

export interface LogIndexOptions {
  root: string;
  retention?: string;
  pollMs?: number;
  /** Nice value of the indexer process. */
  nice?: number;
}

export class LogIndexService extends EventEmitter<{ tick: [number] }> {
  readonly search: LogSearch;
  private child: ChildProcess | null = null;
  private closed = false;
  private restartDelay = 500;

  constructor(private readonly opts: LogIndexOptions) {
    super();
    this.search = new LogSearch(opts.root);
  }

  start(): void {
    if (this.child || this.closed) return;
    const entry = fileURLToPath(new URL('./process.ts', import.meta.url));
    const args = ['--import', import.meta.resolve('tsx'), entry];
    const env = {
      ...process.env,
      BERTH_ROOT: this.opts.root,
      BERTH_LOGS_RETENTION: this.opts.retention ?? process.env['BERTH_LOGS_RETENTION'] ?? '',
      BERTH_LOGS_POLL_MS: String(this.opts.pollMs ?? 250),
    };
    const child = fork(entry, [], { execArgv: args.slice(0, 2), env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    try {
      if (child.pid) os.setPriority(child.pid, this.opts.nice ?? 19);
    } catch {
      /* not allowed: runs at normal priority */
    }
    child.on('message', (raw) => {
      const m = raw as FromIndexer;
      if (m.type === 'tick') this.emit('tick', m.lines);
      else if (m.type === 'ready') {
        this.restartDelay = 500;
        if (child.pid) idlePriority(child.pid);
      } else if (m.type === 'error') console.error(`log indexer: ${m.message}`);
    });
    child.on('exit', () => {
      this.child = null;
      if (this.closed) return;
      // Crashed or killed: it resumes from its stored cursors.
      setTimeout(() => this.start(), this.restartDelay).unref();
      this.restartDelay = Math.min(this.restartDelay * 2, 30_000);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.search.close();
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => {
        child.kill('SIGKILL');
      }, 3000).unref();
    });
  }
}
