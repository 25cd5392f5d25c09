// Attachments made before a container starts (docker run and docker start -a attach first, as
// dockerode's attach-then-start does). Each waits here for the container's next start, which then
// runs the shim with `waitForAttach`: the process execs only once they are connected, so none of its
// output is missed and no log has to be replayed. Such a stream ends when that run exits, when the
// container is removed, or when its client leaves first.
import type { Duplex } from 'node:stream';
import { attachShim, type ShimAttachment } from '../native/index.js';

export interface AttachWants {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

interface Pending {
  wants: AttachWants;
  connect: (a: ShimAttachment | null) => void;
}

export class PendingAttaches {
  private readonly byId = new Map<string, Set<Pending>>();

  /** Registers one; `stream` is the caller's Duplex, whose close before the start withdraws it. */
  add(id: string, wants: AttachWants): { attachment: Promise<ShimAttachment | null>; withdrawOn: (stream: Duplex) => void } {
    let connect!: (a: ShimAttachment | null) => void;
    const attachment = new Promise<ShimAttachment | null>((r) => (connect = r));
    const p: Pending = { wants, connect };
    let set = this.byId.get(id);
    if (!set) this.byId.set(id, (set = new Set()));
    set.add(p);
    const withdraw = (): void => {
      if (!set.delete(p)) return;
      if (!set.size && this.byId.get(id) === set) this.byId.delete(id);
    };
    return { attachment, withdrawOn: (stream) => stream.once('close', withdraw) };
  }

  has(id: string): boolean {
    return (this.byId.get(id)?.size ?? 0) > 0;
  }

  /**
   * After a `waitForAttach` start: connects every waiting attachment to the shim. If none connects (all
   * clients left meanwhile), an empty attachment releases the process, which would otherwise wait.
   */
  async connect(id: string, socket: string): Promise<void> {
    const set = this.byId.get(id);
    this.byId.delete(id);
    const waiting = [...(set ?? [])];
    const results = await Promise.allSettled(
      waiting.map(async (p) => {
        const a = await attachShim(socket, p.wants);
        p.connect(a);
      }),
    );
    results.forEach((r, i) => r.status === 'rejected' && waiting[i]!.connect(null));
    if (!results.some((r) => r.status === 'fulfilled')) {
      const release = await attachShim(socket, { stdin: false, stdout: false, stderr: false }).catch(() => null);
      release?.close();
    }
  }

  /** The container is gone: the streams end. */
  drop(id: string): void {
    for (const p of this.byId.get(id) ?? []) p.connect(null);
    this.byId.delete(id);
  }
}
