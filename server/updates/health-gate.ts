// Waits until a freshly started container proves itself: healthy by its own health check, or (without
// one) still running after `settleMs`. Anything else (unhealthy, exited, or no verdict in time) fails.
import type { Engine } from '@berth/runtime/engine';

export interface GateOptions {
  /** Without a health check: how long it must keep running (default 5 s). */
  settleMs?: number;
  /** The longest wait for a verdict (default 120 s). */
  timeoutMs?: number;
  pollMs?: number;
}

export type GateResult = { ok: true; how: 'healthy' | 'running' } | { ok: false; reason: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function healthGate(engine: Engine, id: string, opts: GateOptions = {}): Promise<GateResult> {
  const settle = opts.settleMs ?? 5_000;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const started = Date.now();
  for (;;) {
    const c = await engine.getContainer(id).inspect();
    const st = c.State;
    if (!st.Running) return { ok: false, reason: `the container stopped (exit code ${st.ExitCode}${st.Error ? `: ${st.Error}` : ''})` };
    const health = st.Health?.Status;
    if (health === 'healthy') return { ok: true, how: 'healthy' };
    if (health === 'unhealthy') {
      const last = st.Health?.Log?.at(-1);
      return { ok: false, reason: `health check failed${last ? ` (exit ${last.ExitCode}${last.Output.trim() ? `: ${last.Output.trim().slice(0, 200)}` : ''})` : ''}` };
    }
    if (!health && Date.now() - started >= settle) return { ok: true, how: 'running' };
    if (Date.now() >= deadline) return { ok: false, reason: health ? `still "${health}" after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)}s` : 'no verdict in time' };
    await sleep(opts.pollMs ?? 250);
  }
}
