/** An unbounded push/pull queue: producers push, one consumer awaits `next()`. For merging streams into a subscription. */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private waiter: ((v: IteratorResult<T>) => void) | null = null;
  private ended = false;
  private failure: unknown = null;

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  end(err?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (err) this.failure = err;
    if (this.waiter && !this.items.length) {
      const w = this.waiter;
      this.waiter = null;
      if (this.failure) this.rejectWaiter?.(this.failure);
      else w({ value: undefined, done: true });
    }
  }

  private rejectWaiter: ((e: unknown) => void) | null = null;

  get size(): number {
    return this.items.length;
  }

  /** Removes and returns everything queued right now. */
  drain(): T[] {
    return this.items.splice(0);
  }

  /** Yields until the queue ends; an abort of `signal` ends it (a subscription's consumer loop). */
  async *until(signal?: AbortSignal): AsyncGenerator<T> {
    const abort = () => this.end();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      for (;;) {
        const r = await this.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.ended) return this.failure ? Promise.reject(this.failure) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.rejectWaiter = reject;
    });
  }
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
