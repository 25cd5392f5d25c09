// Server side of the log index: keeps the indexer process running (restarted if it dies, at nice 19 so the
// containers keep the CPU) and owns the read-only LogSearch the tRPC routers and log alert rules use.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FromIndexer } from './ipc.ts';
import { LogSearch } from './search.ts';

const CHRT = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v chrt'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();

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
    // Nice 19 by default: a small but certain share of CPU, so search and log alerts never starve. With
    // BERTH_LOGS_SCHED=idle it runs SCHED_IDLE (chrt --idle): only CPU the containers leave unused.
    const idle = CHRT && process.env['BERTH_LOGS_SCHED'] === 'idle';
    const child = idle
      ? spawn(CHRT!, ['--idle', '0', process.execPath, ...args], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : fork(entry, [], { execArgv: args.slice(0, 2), env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    try {
      if (child.pid) os.setPriority(child.pid, this.opts.nice ?? 19);
    } catch {
      /* not allowed: runs at normal priority */
    }
    child.on('message', (raw) => {
      const m = raw as FromIndexer;
      if (m.type === 'tick') this.emit('tick', m.lines);
      else if (m.type === 'ready') this.restartDelay = 500;
      else if (m.type === 'error') console.error(`log indexer: ${m.message}`);
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
