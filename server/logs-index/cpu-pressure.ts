// CPU pressure from the kernel's PSI counters (/proc/pressure/cpu, "some": time in which at least one
// runnable task waited for a CPU). The indexer reads it between batches to step aside while containers
// want the CPU: SCHED_IDLE alone still let it take a quarter of a core under 20 chatty containers, since
// tasks that block and wake often (writers on pipes) leave it gaps.
import fs from 'node:fs';

const FILE = '/proc/pressure/cpu';

function stalledMicros(): number | null {
  try {
    const m = /^some .* total=(\d+)$/m.exec(fs.readFileSync(FILE, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // kernel without PSI
  }
}

export class CpuPressure {
  private last: { at: number; stalled: number } | null = null;

  /** Share of wall time (0..1) in which some task waited for a CPU since the last call; null if unknown. */
  sample(): number | null {
    const stalled = stalledMicros();
    if (stalled === null) return null;
    const at = performance.now() * 1000;
    const prev = this.last;
    this.last = { at, stalled };
    if (!prev || at <= prev.at) return null;
    return Math.min(1, (stalled - prev.stalled) / (at - prev.at));
  }
}
