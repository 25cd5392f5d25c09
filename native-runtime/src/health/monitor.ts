// Health checks (moby daemon/health.go): the container's Healthcheck runs through exec on its interval;
// a probe that outlives Timeout is killed and counts as a failure. Failures inside StartPeriod do not
// count; Retries consecutive failures make the container unhealthy, one success makes it healthy.
// Results (last 5) are kept in State.Health; a change of status emits `health_status: <status>`.
import { z } from 'zod';
import type { HealthConfig } from '../engine/types.js';
import { badParameter } from '../errors.js';

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_RETRIES = 3;
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthResult[];
}

export const HealthConfigSchema = z.looseObject({
  Test: z.array(z.string()).nullish(),
  Interval: z.number().int().nonnegative().nullish(),
  Timeout: z.number().int().nonnegative().nullish(),
  Retries: z.number().int().nonnegative().nullish(),
  StartPeriod: z.number().int().nonnegative().nullish(),
  StartInterval: z.number().int().nonnegative().nullish(),
});

type Config = HealthConfig & { StartInterval?: number };

/** The probe's argv, or null when health checking is off (no Test, or NONE). */
export function probeCommand(hc: Config | undefined): string[] | null {
  const t = hc?.Test;
  if (!t || t.length === 0 || t[0] === 'NONE') return null;
  if (t[0] === 'CMD') return t.length > 1 ? t.slice(1) : null;
  if (t[0] === 'CMD-SHELL') return t.length > 1 ? ['/bin/sh', '-c', t.slice(1).join(' ')] : null;
  throw badParameter(`unknown healthcheck type ${JSON.stringify(t[0])} (want CMD, CMD-SHELL or NONE)`);
}

/**
 * What a health check reads and writes of a container: a structural slice of containers/' record, so
 * that health/ never imports containers/ (containers/ holds the monitor, not the other way round).
 */
export interface HealthTarget {
  cfg: { id: string; config: { Healthcheck?: HealthConfig } };
  state: { startedAt: string; health?: HealthState };
}

/** Runs one probe: resolves with the exit code and combined output (never rejects). */
export type ProbeRunner<C extends HealthTarget = HealthTarget> = (rec: C, cmd: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }>;

export interface HealthDeps<C extends HealthTarget> {
  run: ProbeRunner<C>;
  save(rec: C): Promise<void>;
  emit(rec: C, action: string): void;
}

const ms = (ns: number | null | undefined, dflt: number): number => (ns && ns > 0 ? Math.floor(ns / 1e6) : dflt);

export class HealthMonitor<C extends HealthTarget = HealthTarget> {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout | undefined; stopped: boolean }>();

  constructor(private readonly d: HealthDeps<C>) {}

  /** Starts checking a container that just started (or was found running). No-op without a check. */
  start(rec: C, fresh: boolean): void {
    const hc = rec.cfg.config.Healthcheck as Config | undefined;
    const cmd = probeCommand(hc);
    this.stop(rec.cfg.id);
    if (!cmd) return;
    if (fresh || !rec.state.health) rec.state.health = { Status: 'starting', FailingStreak: 0, Log: [] };
    const entry: { timer: NodeJS.Timeout | undefined; stopped: boolean } = { timer: undefined, stopped: false };
    this.timers.set(rec.cfg.id, entry);
    const startedAt = Date.parse(rec.state.startedAt);
    const startPeriod = ms(hc?.StartPeriod, 0);
    const next = (): void => {
      if (entry.stopped) return;
      const inStart = Date.now() - startedAt < startPeriod;
      const delay = inStart && hc?.StartInterval ? ms(hc.StartInterval, DEFAULT_START_INTERVAL_MS) : ms(hc?.Interval, DEFAULT_INTERVAL_MS);
      entry.timer = setTimeout(() => void probe(), delay);
      entry.timer.unref();
    };
    const probe = async (): Promise<void> => {
      if (entry.stopped) return;
      const start = new Date();
      const r = await this.d.run(rec, cmd, ms(hc?.Timeout, DEFAULT_TIMEOUT_MS));
      if (entry.stopped) return;
      await this.record(rec, { Start: goTime(start), End: goTime(new Date()), ExitCode: r.exitCode, Output: r.output.slice(0, MAX_OUTPUT) }, startedAt, startPeriod, hc);
      next();
    };
    next();
  }

  private async record(rec: C, res: HealthResult, startedAt: number, startPeriod: number, hc: Config | undefined): Promise<void> {
    const h = (rec.state.health ??= { Status: 'starting', FailingStreak: 0, Log: [] });
    const before = h.Status;
    h.Log = [...h.Log, res].slice(-MAX_LOG);
    if (res.ExitCode === 0) {
      h.FailingStreak = 0;
      h.Status = 'healthy';
    } else if (!(h.Status === 'starting' && Date.now() - startedAt < startPeriod)) {
      h.FailingStreak++;
      if (h.FailingStreak >= (hc?.Retries && hc.Retries > 0 ? hc.Retries : DEFAULT_RETRIES)) h.Status = 'unhealthy';
    }
    await this.d.save(rec).catch(() => {});
    if (h.Status !== before) this.d.emit(rec, `health_status: ${h.Status}`);
  }

  stop(id: string): void {
    const e = this.timers.get(id);
    if (!e) return;
    e.stopped = true;
    if (e.timer) clearTimeout(e.timer);
    this.timers.delete(id);
  }

  close(): void {
    for (const id of [...this.timers.keys()]) this.stop(id);
  }
}

/** Go's time.Time JSON for a JS Date (ms precision, trailing zeros trimmed). */
function goTime(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}
