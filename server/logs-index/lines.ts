// Log records are chunks as the shim read them, not lines: this joins them into lines per stream, keeping
// the unfinished tail of each stream for the next chunk (and in the cursor, across restarts).
import { STDERR, type LogRecord } from '@berth/runtime/logs';

/** Longer lines are cut here, as Docker's json-file driver splits at 16 KiB; keeps rows and the UI bounded. */
export const MAX_LINE = 64 * 1024;

export interface Line {
  t: bigint;
  stream: 1 | 2;
  line: string;
}

export class LineSplitter {
  pending: Record<1 | 2, string>;

  constructor(pendingOut = '', pendingErr = '') {
    this.pending = { 1: pendingOut, 2: pendingErr };
  }

  push(rec: LogRecord, out: Line[]): void {
    const stream = rec.stream === STDERR ? 2 : 1;
    let text = this.pending[stream] + rec.payload.toString('utf8');
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      let line = text.slice(0, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      out.push({ t: rec.time, stream, line: line.slice(0, MAX_LINE) });
      text = text.slice(nl + 1);
    }
    while (text.length > MAX_LINE) {
      out.push({ t: rec.time, stream, line: text.slice(0, MAX_LINE) });
      text = text.slice(MAX_LINE);
    }
    this.pending[stream] = text;
  }

  /** The container is gone: its last unterminated lines are lines too. */
  flush(t: bigint, out: Line[]): void {
    for (const s of [1, 2] as const) {
      if (this.pending[s]) out.push({ t, stream: s, line: this.pending[s] });
      this.pending[s] = '';
    }
  }
}
