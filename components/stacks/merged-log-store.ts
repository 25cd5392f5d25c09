// The merged log of a stack: the log viewer's ring buffer (LogStore) plus the service of each line, and
// the backlog of each container merged by time before it is shown (each container's part is in order;
// interleaving them needs the timestamps, which are fixed-width RFC3339 so they compare as strings).
import { LogStore } from '../logs/log-store';

export class MergedLogStore extends LogStore {
  /** Service names, in the order first seen; a line keeps the index. */
  readonly services: string[] = [];
  private svc: Uint16Array;
  private current = 0;

  constructor(capacity = 1_000_000) {
    super(capacity);
    this.svc = new Uint16Array(capacity);
  }

  serviceIndex(name: string): number {
    let i = this.services.indexOf(name);
    if (i < 0) i = this.services.push(name) - 1;
    return i;
  }

  /** Appends a batch of one service's lines ("\n"-joined, one stream char per line). */
  appendFor(service: string, text: string, streams: string): void {
    this.current = this.serviceIndex(service);
    this.append(text, streams);
  }

  override push(line: string, stream: 1 | 2): void {
    // The slot LogStore writes: the end until the ring is full, then the oldest (its head, which moves
    // with every dropped line).
    const slot = this.length < this.capacity ? this.length : this.dropped % this.capacity;
    this.svc[slot] = this.current;
    super.push(line, stream);
  }

  /** Pushes one line of a service (the backlog merge goes line by line). */
  pushFor(serviceIdx: number, line: string, stream: 1 | 2): void {
    this.current = serviceIdx;
    this.push(line, stream);
  }

  service(i: number): number {
    return this.svc[((this.dropped % this.capacity) + i) % this.length] ?? 0;
  }
}

interface Part {
  service: string;
  chunks: string[][];
  streams: string[];
}

/**
 * Holds each container's backlog until every container has sent its own (or `flush` is called), then
 * writes them into the store merged by timestamp; later lines go straight in.
 */
export class BacklogMerger {
  private parts = new Map<string, Part>();
  private pending: Set<string>;
  live = false;

  constructor(
    private readonly store: MergedLogStore,
    expected: string[],
  ) {
    this.pending = new Set(expected);
    if (!expected.length) this.live = true;
  }

  add(b: { service: string; container: string; text: string; streams: string; caughtUp?: true }): void {
    if (this.live) {
      if (b.streams.length) this.store.appendFor(b.service, b.text, b.streams);
      return;
    }
    if (b.streams.length) {
      const p = this.parts.get(b.container) ?? { service: b.service, chunks: [], streams: [] };
      p.chunks.push(b.text.split('\n'));
      p.streams.push(b.streams);
      this.parts.set(b.container, p);
    }
    if (b.caughtUp) {
      this.pending.delete(b.container);
      if (!this.pending.size) this.flush();
    }
  }

  /** Writes the held backlog, merged by time, and goes live. */
  flush(): void {
    if (this.live) return;
    this.live = true;
    const parts = [...this.parts.values()].map((p) => ({ service: p.service, lines: p.chunks.length === 1 ? p.chunks[0]! : p.chunks.flat(), streams: p.streams.join('') }));
    this.parts.clear();
    const svc = parts.map((p) => this.store.serviceIndex(p.service));
    const at = parts.map(() => 0);
    for (;;) {
      let best = -1;
      for (let k = 0; k < parts.length; k++) {
        if (at[k]! >= parts[k]!.lines.length) continue;
        if (best < 0 || parts[k]!.lines[at[k]!]! < parts[best]!.lines[at[best]!]!) best = k;
      }
      if (best < 0) break;
      const i = at[best]!++;
      this.store.pushFor(svc[best]!, parts[best]!.lines[i]!, parts[best]!.streams.charCodeAt(i) === 50 ? 2 : 1);
    }
    this.store.version++;
  }
}
