// Pending wait() calls and internal "tell me when it exits" promises, per container.
import type { ContainerWaitResponse } from '../engine/types.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

interface Waiter {
  condition: WaitCondition;
  resolve: (r: ContainerWaitResponse) => void;
}

export class Waiters {
  private readonly byId = new Map<string, Waiter[]>();
  // A pending wait() must keep the process alive, as an HTTP request to dockerd would.
  private keepAlive: NodeJS.Timeout | null = null;

  add(id: string, condition: WaitCondition): Promise<ContainerWaitResponse> {
    return new Promise((resolve) => {
      const list = this.byId.get(id) ?? [];
      list.push({ condition, resolve });
      this.byId.set(id, list);
      this.keepAlive ??= setInterval(() => {}, 1 << 30);
    });
  }

  /** The container exited: everyone but 'removed' waiters is answered. */
  exited(id: string, code: number): void {
    this.settle(id, code, (w) => w.condition !== 'removed');
  }

  /** The container is gone: everyone left is answered (an AutoRemove container's waiters included). */
  removed(id: string, code: number): void {
    this.settle(id, code, () => true);
  }

  private settle(id: string, code: number, which: (w: Waiter) => boolean): void {
    const list = this.byId.get(id);
    if (!list) return;
    const keep = list.filter((w) => !which(w));
    for (const w of list) if (which(w)) w.resolve({ Error: null, StatusCode: code });
    if (keep.length) this.byId.set(id, keep);
    else this.byId.delete(id);
    if (this.byId.size === 0 && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  }
}
