'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useState } from 'react';
import { useTRPC, useTRPCClient } from '../trpc/react';
import type { RouterOutputs } from '../trpc/types';

export type CheckResult = RouterOutputs['images']['checkUpdates'][number];

/** The last update check of the endpoint (the server caches it), by image reference, and "Check now". */
export function useUpdateChecks() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  const opts = trpc.images.checkUpdates.queryOptions(undefined, { staleTime: 60_000, refetchOnWindowFocus: false });
  const q = useQuery(opts);
  const [checking, setChecking] = useState(false);
  const checkNow = useCallback(async () => {
    setChecking(true);
    try {
      qc.setQueryData(opts.queryKey, await client.images.checkUpdates.query({ force: true }));
    } finally {
      setChecking(false);
    }
  }, [client, qc, opts.queryKey]);
  // Containers may name an image without its default tag (`busybox` for `busybox:latest`).
  const byRef = new Map((q.data ?? []).flatMap((r) => [[r.ref, r] as const, [r.ref.replace(/:latest$/, ''), r] as const]));
  return { results: q.data ?? [], byRef, error: q.error, loading: q.isLoading, checking, checkNow };
}

/** The latest step of each running update (by container id or `stack:<name>`), live. */
export function useUpdateProgress(): Record<string, string> {
  const trpc = useTRPC();
  const [steps, setSteps] = useState<Record<string, string>>({});
  useSubscription(
    trpc.updates.events.subscriptionOptions(undefined, {
      onData: (e) => {
        if (e.type === 'progress' && e.target && e.step) setSteps((s) => ({ ...s, [e.target!]: e.step! }));
        if (e.type === 'update' && e.outcome) setSteps((s) => ({ ...s, [e.outcome!.containerId]: '', [e.outcome!.name]: '' }));
      },
    }),
  );
  return steps;
}
