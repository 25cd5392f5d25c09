'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '../trpc/react';

/** The top bar's bell: firing alerts since this user last looked; opening it marks them read. */
export function AlertBell() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const unread = useQuery(trpc.alerts.unread.queryOptions());
  // Live, not polled: refetch when the server records an alert.
  useSubscription(trpc.alerts.live.subscriptionOptions(undefined, { onData: () => void qc.invalidateQueries({ queryKey: trpc.alerts.unread.queryKey() }) }));
  const markRead = useMutation(trpc.alerts.markRead.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.alerts.unread.queryKey() }) }));
  const count = unread.data?.count ?? 0;
  const latest = unread.data?.latest ?? [];
  return (
    <div className="relative">
      <button
        type="button"
        aria-label={count ? `Alerts: ${count} unread` : 'Alerts'}
        aria-expanded={open}
        data-testid="alert-bell"
        className="relative rounded-md px-2 py-1 text-lg hover:bg-slate-200 dark:hover:bg-slate-800"
        onClick={() => setOpen(!open)}
      >
        🔔
        {count ? (
          <span data-testid="alert-bell-count" className="absolute -right-1 -top-1 rounded-full bg-red-600 px-1.5 text-[10px] font-bold text-white">
            {count > 99 ? '99+' : count}
          </span>
        ) : null}
      </button>
      {open ? (
        <div className="absolute right-0 z-20 mt-2 w-80 rounded-md border border-slate-200 bg-white p-2 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900" data-testid="alert-bell-menu">
          {latest.length === 0 ? <p className="p-2 text-slate-500">No unread alerts.</p> : null}
          {latest.map((a) => (
            <div key={a.id} className="border-b border-slate-100 p-2 last:border-0 dark:border-slate-800">
              <div className="font-medium">
                {a.ruleName} · {a.subject}
              </div>
              <div className="truncate text-xs text-slate-500" title={a.message}>
                {a.message}
              </div>
            </div>
          ))}
          <div className="flex justify-between p-2">
            <Link href="/alerts" className="text-sky-700 hover:underline dark:text-sky-300" onClick={() => setOpen(false)}>
              All alerts
            </Link>
            {count ? (
              <button type="button" className="text-slate-500 hover:underline" onClick={() => markRead.mutate({})}>
                Mark read
              </button>
            ) : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
