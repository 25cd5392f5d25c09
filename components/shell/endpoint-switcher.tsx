'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../trpc/react';

/** The header's endpoint choice. It sets a cookie that every request (HTTP, SSE, websocket) carries. */
export function EndpointSwitcher() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.endpoints.list.queryOptions());
  const select = useMutation(
    trpc.endpoints.select.mutationOptions({
      // Every open query and stream belongs to the old endpoint: start the page over.
      onSuccess: () => {
        queryClient.clear();
        window.location.reload();
      },
    }),
  );
  if (!list.data || list.data.endpoints.length < 2) return null;
  return (
    <label className="flex items-center gap-2 text-sm">
      <span className="hidden text-slate-500 sm:inline">Endpoint</span>
      <select
        aria-label="Endpoint"
        className="max-w-32 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm sm:max-w-none dark:border-slate-700 dark:bg-slate-900"
        value={list.data.current}
        onChange={(e) => select.mutate({ id: e.target.value })}
      >
        {list.data.endpoints.map((e) => (
          <option key={e.id} value={e.id}>
            {e.name}
          </option>
        ))}
      </select>
    </label>
  );
}
