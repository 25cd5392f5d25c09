// ChunkPipe: hands a blob's bytes from its download to a layer unpacker as they arrive, so unpacking
// overlaps the transfer. Bounded: the producer waits while more than `highWater` bytes are queued (the
// download then pauses, and TCP pushes back on the registry). The consumer reads it once, as an
// AsyncIterable; cancel() (or leaving the loop early) drops the queue and lets the producer run free.

export class ChunkPipe implements AsyncIterable<Buffer> {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private error: unknown;
  private cancelled = false;
  private iterated = false;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;

  constructor(private readonly highWater = 8 << 20) {}

  /** Queues a chunk; the promise (when one is returned) settles once the queue has room again. */
  push(chunk: Buffer): Promise<void> | undefined {
    if (this.cancelled || this.ended) return undefined;
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.wake();
    if (this.queued <= this.highWater) return undefined;
    return new Promise((resolve) => (this.wakeWriter = resolve));
  }

  /** All bytes were pushed. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** The producer failed: the consumer's next read throws `err`. */
  fail(err: unknown): void {
    if (this.ended) return;
    this.error = err ?? new Error('download failed');
    this.ended = true;
    this.wake();
  }

  /** The consumer is gone: forget what is queued and never make the producer wait again. */
  cancel(): void {
    this.cancelled = true;
    this.queue.length = 0;
    this.queued = 0;
    this.releaseWriter();
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    if (this.iterated) throw new Error('ChunkPipe can be read only once');
    this.iterated = true;
    try {
      for (;;) {
        if (this.cancelled) return;
        const chunk = this.queue.shift();
        if (chunk) {
          this.queued -= chunk.length;
          if (this.queued <= this.highWater) this.releaseWriter();
          yield chunk;
          continue;
        }
        if (this.error !== undefined) throw this.error;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wakeReader = resolve));
      }
    } finally {
      this.cancel();
    }
  }

  private wake(): void {
    const w = this.wakeReader;
    this.wakeReader = undefined;
    w?.();
  }

  private releaseWriter(): void {
    const w = this.wakeWriter;
    this.wakeWriter = undefined;
    w?.();
  }
}
