'use client';

import { useTRPCClient } from '../trpc/react';

export type BulkAction = 'start' | 'stop' | 'restart' | 'kill' | 'remove';

export interface BulkProgress {
  action: BulkAction;
  done: number;
  total: number;
  failures: { id: string; message: string }[];
}

/** Runs one mutation per container, a few at a time, reporting progress; the page stays usable meanwhile. */
export function useBulkRunner() {
  const client = useTRPCClient();
  return async (action: BulkAction, ids: string[], onProgress: (p: BulkProgress) => void, opts: { volumes?: boolean } = {}): Promise<BulkProgress> => {
    const p: BulkProgress = { action, done: 0, total: ids.length, failures: [] };
    onProgress({ ...p });
    const queue = [...ids];
    const one = async (id: string) => {
      try {
        if (action === 'remove') await client.containers.remove.mutate({ id, force: true, volumes: Boolean(opts.volumes) });
        else await client.containers[action].mutate({ id });
      } catch (err) {
        p.failures.push({ id, message: err instanceof Error ? err.message : String(err) });
      }
      p.done++;
      onProgress({ ...p, failures: [...p.failures] });
    };
    const workers = Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) await one(id);
    });
    await Promise.all(workers);
    return p;
  };
}
