// Interface counters from the container's own network namespace (/proc/<pid>/net/dev, read by the
// addon), without `lo`, keyed by interface name as Docker's `networks`. Undefined when the container
// has no other interface (Docker omits `networks` for --network none).
import type { NetworkStats } from '../engine/types.js';
import { linkStats } from '../native/index.js';

export function netStats(pid: number): Record<string, NetworkStats> | undefined {
  if (!pid) return undefined;
  let all: Record<string, NetworkStats>;
  try {
    all = linkStats(pid);
  } catch {
    return undefined; // the process just exited
  }
  const out: Record<string, NetworkStats> = {};
  for (const [name, s] of Object.entries(all)) if (name !== 'lo') out[name] = s;
  return Object.keys(out).length ? out : undefined;
}
