// Restart policies as moby's restartmanager decides them: no, always, unless-stopped, on-failure[:N].
// Back-off: 100 ms, doubled after each restart, reset when the container ran at least 10 s.
// A stop the user asked for disables restarting until the next start.
import type { HostConfig } from '../engine/types.js';

export const BACKOFF_START_MS = 100;
export const BACKOFF_RESET_AFTER_MS = 10_000;
/** moby caps its back-off at one minute. */
export const BACKOFF_MAX_MS = 60_000;

export interface RestartInputs {
  policy: HostConfig['RestartPolicy'];
  exitCode: number;
  /** The user stopped (or killed) it: no policy applies until the next start. */
  manuallyStopped: boolean;
  restartCount: number;
  /** Milliseconds the run lasted. */
  ranMs: number;
  /** The delay used for the previous restart (0 = none yet). */
  lastDelayMs: number;
}

export interface RestartDecision {
  restart: boolean;
  delayMs: number;
}

export function shouldRestart(i: RestartInputs): RestartDecision {
  const name = i.policy?.Name || 'no';
  let restart = false;
  if (!i.manuallyStopped) {
    if (name === 'always' || name === 'unless-stopped') restart = true;
    else if (name === 'on-failure') {
      const max = i.policy?.MaximumRetryCount ?? 0;
      restart = i.exitCode !== 0 && (max === 0 || i.restartCount < max);
    }
  }
  if (!restart) return { restart: false, delayMs: 0 };
  const delayMs = i.ranMs >= BACKOFF_RESET_AFTER_MS || i.lastDelayMs === 0 ? BACKOFF_START_MS : Math.min(i.lastDelayMs * 2, BACKOFF_MAX_MS);
  return { restart: true, delayMs };
}

/** Started when Berth starts (after a server restart or a host reboot), as dockerd's restore does. */
export function startsWithEngine(policy: HostConfig['RestartPolicy'], manuallyStopped: boolean): boolean {
  const name = policy?.Name || 'no';
  return name === 'always' || (name === 'unless-stopped' && !manuallyStopped);
}
