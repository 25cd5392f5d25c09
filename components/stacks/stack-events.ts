'use client';

// The engine's events that belong to stacks: containers carry the compose project label; networks and
// volumes are named `<project>_<key>`. Lists and pages refresh on them instead of polling.
import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useRef } from 'react';
import type { EngineEvent } from '../events/event-row';
import { useTRPC } from '../trpc/react';

const PROJECT = 'com.docker.compose.project';

/** The stack an event belongs to, or null. */
export function projectOf(e: EngineEvent): string | null {
  const a = e.Actor.Attributes ?? {};
  if (a[PROJECT]) return a[PROJECT];
  if (e.Type === 'network' || e.Type === 'volume') {
    const m = /^([a-z0-9][a-z0-9_-]*?)_[^_]+$/.exec(a['name'] ?? e.Actor.ID);
    return m ? m[1]! : null;
  }
  return null;
}

/**
 * Calls `onEvent` for each event of stack `name` (any stack when null), replaying `sinceSeconds`
 * first, and refreshes the stacks queries a moment after a burst of them.
 */
export function useStackEvents(name: string | null, opts: { sinceSeconds?: number; onEvent?: (e: EngineEvent) => void } = {}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const onEvent = useRef(opts.onEvent);
  onEvent.current = opts.onEvent;
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  return useSubscription(
    trpc.events.stream.subscriptionOptions(
      { sinceSeconds: opts.sinceSeconds ?? 0, types: ['container', 'network', 'volume'] },
      {
        onData: (e) => {
          const p = projectOf(e);
          if (!p || (name !== null && p !== name)) return;
          onEvent.current?.(e);
          timer.current ??= setTimeout(() => {
            timer.current = null;
            void queryClient.invalidateQueries({ queryKey: trpc.stacks.list.queryKey() });
            if (name) void queryClient.invalidateQueries({ queryKey: trpc.stacks.get.queryKey({ name }) });
          }, 400);
        },
      },
    ),
  );
}
