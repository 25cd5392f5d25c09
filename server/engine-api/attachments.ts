// Attach sessions per engine and container. dockerd reports a container's exit to waiters only once
// the attached streams are drained, and clients rely on it: dockerode's run() ends its output stream
// when the wait answers. A wait here therefore answers after the container's attach sessions have
// written their last byte, bounded as dockerd bounds it.
const sessions = new WeakMap<object, Map<string, Set<Promise<unknown>>>>();

/** dockerd gives the attached streams 2 s after an exit. */
const DRAIN_MAX_MS = 2000;

/** Counts `done` as an attach session of the container until it settles. */
export function trackAttach(engine: object, containerId: string, done: Promise<unknown>): void {
  let byId = sessions.get(engine);
  if (!byId) sessions.set(engine, (byId = new Map()));
  let set = byId.get(containerId);
  if (!set) byId.set(containerId, (set = new Set()));
  set.add(done);
  const forget = (): void => {
    set.delete(done);
    if (!set.size && byId.get(containerId) === set) byId.delete(containerId);
  };
  done.then(forget, forget);
}

/** Resolves when the container's current attach sessions have ended, or after DRAIN_MAX_MS. */
export async function attachesDrained(engine: object, containerId: string): Promise<void> {
  const set = sessions.get(engine)?.get(containerId);
  if (!set?.size) return;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((r) => (timer = setTimeout(r, DRAIN_MAX_MS)));
  await Promise.race([Promise.allSettled([...set]), limit]);
  clearTimeout(timer);
}
