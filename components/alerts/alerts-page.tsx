'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useMe } from '../auth/use-me';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Card } from '../ui/controls';
import { EmptyState } from '../ui/empty-state';
import { ChannelsCard } from './channels-card';
import { RulesCard } from './rules-card';

/** History (everyone), rules (operators manage) and channels (admins manage). */
export function AlertsPage() {
  const trpc = useTRPC();
  const role = useMe().data?.user?.role;
  const qc = useQueryClient();
  const history = useQuery(trpc.alerts.history.queryOptions({ limit: 200 }));
  // Live, not polled: the server ticks when an alert is recorded, a delivery changes or the rules change.
  useSubscription(
    trpc.alerts.live.subscriptionOptions(undefined, {
      onData: () => {
        void qc.invalidateQueries({ queryKey: trpc.alerts.history.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.alerts.rules.list.queryKey() });
      },
    }),
  );
  return (
    <div className="space-y-4">
      <Card title="History">
        {history.error ? <Alert>{errorMessage(history.error)}</Alert> : null}
        {history.data && history.data.length === 0 ? (
          <EmptyState title="No alerts yet" testId="alerts-empty">
            Alerts appear here when a rule fires, and again when it resolves.
          </EmptyState>
        ) : (
          <table className="w-full text-left text-sm" data-testid="alerts-history">
            <thead className="border-b border-slate-200 text-xs uppercase text-slate-500 dark:border-slate-800">
              <tr>
                <th className="py-2">Time</th>
                <th className="py-2">State</th>
                <th className="py-2">Rule</th>
                <th className="py-2">Subject</th>
                <th className="py-2">Message</th>
                <th className="py-2">Delivery</th>
              </tr>
            </thead>
            <tbody>
              {(history.data ?? []).map((e) => (
                <tr key={e.id} className="border-b border-slate-100 align-top dark:border-slate-800">
                  <td className="whitespace-nowrap py-1 text-slate-500">{new Date(e.at).toLocaleString()}</td>
                  <td className={`py-1 ${e.state === 'firing' ? 'text-red-600' : 'text-green-700'}`}>{e.state}</td>
                  <td className="py-1">{e.ruleName}</td>
                  <td className="py-1">{e.subject}</td>
                  <td className="max-w-md whitespace-pre-wrap break-words py-1 font-mono text-xs">{e.message}</td>
                  <td className="py-1 text-xs">
                    {e.deliveries.map((d) => (
                      <div key={d.channel} className={d.status === 'sent' ? 'text-green-700' : d.status === 'failed' ? 'text-red-600' : 'text-slate-500'} title={d.lastError ?? ''}>
                        {d.channel}: {d.status}
                        {d.attempts > 1 ? ` (${d.attempts} tries)` : ''}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <RulesCard operator={role === 'admin' || role === 'operator'} />
      <ChannelsCard admin={role === 'admin'} />
    </div>
  );
}
