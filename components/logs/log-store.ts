// A ring buffer of log lines with a fixed capacity: memory stays bounded however much a container
// prints. Index 0 is the oldest line kept. Lines are plain strings; the stream is one byte per line.

export class LogStore {
  private lines: string[] = [];
  private streams: Uint8Array;
  /** Index in `lines` of the oldest line once the ring is full. */
  private head = 0;
  /** Lines dropped off the top since the store was created. */
  dropped = 0;
  /** Bumped on every change, for React to notice. */
  version = 0;

  constructor(readonly capacity = 1_000_000) {
    this.streams = new Uint8Array(capacity);
  }

  get length(): number {
    return this.lines.length;
  }

  /** Appends a batch: `text` holds lines joined by "\n", `streams` one "1"/"2" per line. */
  append(text: string, streams: string): void {
    const batch = text.split('\n');
    for (let i = 0; i < batch.length; i++) this.push(batch[i]!, streams.charCodeAt(i) === 50 ? 2 : 1);
    this.version++;
  }

  push(line: string, stream: 1 | 2): void {
    if (this.lines.length < this.capacity) {
      this.streams[this.lines.length] = stream;
      this.lines.push(line);
      return;
    }
    this.lines[this.head] = line;
    this.streams[this.head] = stream;
    this.head = (this.head + 1) % this.capacity;
    this.dropped++;
  }

  line(i: number): string {
    return this.lines[(this.head + i) % this.lines.length] ?? '';
  }

  stream(i: number): 1 | 2 {
    return this.streams[(this.head + i) % this.lines.length] === 2 ? 2 : 1;
  }

  clear(): void {
    this.lines = [];
    this.head = 0;
    this.dropped = 0;
    this.version++;
  }
}

/** Strips ANSI escape sequences, so search matches what the user sees. */
export function stripAnsi(s: string): string {
  return s.indexOf('\x1b') === -1 ? s : s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(\x07|\x1b\\)/g, '');
}

export function searchRegex(query: string): RegExp | null {
  if (!query) return null;
  return new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
}

/**
 * Finds the lines that match, a slice at a time so a million lines never block the page for long.
 * Resolves with the matching indexes (at most `limit`); `isCancelled` stops it early.
 */
export async function searchLines(store: Pick<LogStore, 'length' | 'line'>, re: RegExp, opts: { limit?: number; sliceMs?: number; isCancelled?: () => boolean } = {}): Promise<number[]> {
  const limit = opts.limit ?? 100_000;
  const sliceMs = opts.sliceMs ?? 12;
  const out: number[] = [];
  const n = store.length;
  let i = 0;
  while (i < n && out.length < limit) {
    const until = performance.now() + sliceMs;
    for (; i < n && out.length < limit && performance.now() < until; ) {
      const end = Math.min(n, i + 2000);
      for (; i < end; i++) if (re.test(stripAnsi(store.line(i)))) out.push(i);
    }
    if (opts.isCancelled?.()) return out;
    if (i < n) await new Promise((r) => setTimeout(r, 0));
  }
  return out;
}
