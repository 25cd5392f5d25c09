// The merged log of a stack in the page: lines with their service and stream, loaded from both ends
// (older pages put in front as the user scrolls up, live lines added at the back), bounded by a
// capacity. Lines are kept in chunks (one per page or live batch), each with its absolute start, so
// neither end ever moves the lines already held.

interface Chunk {
  /** Absolute index of the chunk's first line (pages put in front get negative ones). */
  start: number;
  lines: string[];
  /** Per line: service index * 2 + (stderr ? 1 : 0). */
  meta: number[];
}

export class MergedLogStore {
  /** Service names, in the order first seen; a line keeps the index. */
  readonly services: string[] = [];
  private chunks: Chunk[] = [];
  /** Absolute index of line 0 and one past the last line. */
  private base = 0;
  private end = 0;
  private last = 0;
  /** Lines dropped off the front to stay within the capacity (the oldest, once the view is full). */
  dropped = 0;
  /** Lines put in front since the store was made (the list keeps its place by this). */
  prepended = 0;
  /** Bumped on every change, for React to notice. */
  version = 0;

  constructor(readonly capacity = 1_000_000) {}

  get length(): number {
    return this.end - this.base;
  }

  /** Whether older lines may still be put in front. */
  get full(): boolean {
    return this.length >= this.capacity;
  }

  serviceIndex(name: string): number {
    let i = this.services.indexOf(name);
    if (i < 0) i = this.services.push(name) - 1;
    return i;
  }

  /** Live lines of one service at the back ("\n"-joined, one "1"/"2" stream char per line). */
  append(service: string, text: string, streams: string): void {
    if (!streams.length) return;
    const svc = this.serviceIndex(service) * 2;
    const lines = text.split('\n');
    const meta = lines.map((_, i) => svc + (streams.charCodeAt(i) === 50 ? 1 : 0));
    this.chunks.push({ start: this.end, lines, meta });
    this.end += lines.length;
    const over = this.length - this.capacity;
    if (over > 0) this.dropFront(over);
    this.version++;
  }

  /**
   * An older page in front: lines oldest first, each with the index of its service in `services`.
   * Returns how many were put in (fewer when the capacity is reached: the newest of the page).
   */
  prepend(page: { text: string; streams: string; service: number[]; services: string[] }): number {
    if (!page.streams.length) return 0;
    const room = this.capacity - this.length;
    if (room <= 0) return 0;
    const map = page.services.map((s) => this.serviceIndex(s) * 2);
    let lines = page.text.split('\n');
    let meta = lines.map((_, i) => map[page.service[i]!]! + (page.streams.charCodeAt(i) === 50 ? 1 : 0));
    if (lines.length > room) {
      lines = lines.slice(lines.length - room);
      meta = meta.slice(meta.length - room);
    }
    this.base -= lines.length;
    this.chunks.unshift({ start: this.base, lines, meta });
    this.last++;
    this.prepended += lines.length;
    this.version++;
    return lines.length;
  }

  private dropFront(n: number): void {
    this.base += n;
    this.dropped += n;
    let k = 0;
    while (k < this.chunks.length && this.chunks[k]!.start + this.chunks[k]!.lines.length <= this.base) k++;
    if (k) {
      this.chunks.splice(0, k);
      this.last = 0;
    }
  }

  /** The chunk holding absolute index `a` (the last one found is tried first: reads go in order). */
  private at(i: number): { c: Chunk; k: number } | null {
    const a = this.base + i;
    if (i < 0 || a >= this.end) return null;
    let c = this.chunks[this.last];
    if (!c || a < c.start || a >= c.start + c.lines.length) {
      let lo = 0;
      let hi = this.chunks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.chunks[mid]!.start <= a) lo = mid;
        else hi = mid - 1;
      }
      this.last = lo;
      c = this.chunks[lo]!;
    }
    return { c, k: a - c.start };
  }

  line(i: number): string {
    const h = this.at(i);
    return h ? h.c.lines[h.k]! : '';
  }

  stream(i: number): 1 | 2 {
    const h = this.at(i);
    return h && h.c.meta[h.k]! & 1 ? 2 : 1;
  }

  service(i: number): number {
    const h = this.at(i);
    return h ? h.c.meta[h.k]! >> 1 : 0;
  }
}
