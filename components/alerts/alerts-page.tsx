'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useMe } from '../auth/use-me';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Card } from '../ui/controls';
import { EmptyState } from '../ui/empty-state';
import { ChannelsCard } from './channels-card';
import { RulesCard } from './rules-card';
import { DataTable } from '../ui/data-table';

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
          <DataTable
            rows={history.data ?? []}
            rowKey={(e) => String(e.id)}
            testId="alerts-history"
            alignTop
            compact
            columns={[
              { key: 'time', header: 'Time', className: 'whitespace-nowrap text-slate-500', cell: (e) => new Date(e.at).toLocaleString() },
              { key: 'state', header: 'State', cell: (e) => <span className={e.state === 'firing' ? 'text-red-600' : 'text-green-700'}>{e.state}</span> },
              { key: 'rule', header: 'Rule', cell: (e) => e.ruleName },
              { key: 'subject', header: 'Subject', cell: (e) => e.subject },
              { key: 'message', header: 'Message', className: 'max-w-md whitespace-pre-wrap break-words font-mono text-xs', cell: (e) => e.message },
              {
                key: 'delivery',
                header: 'Delivery',
                className: 'text-xs',
                cell: (e) =>
                  e.deliveries.map((d) => (
                    <div key={d.channel} className={d.status === 'sent' ? 'text-green-700' : d.status === 'failed' ? 'text-red-600' : 'text-slate-500'} title={d.lastError ?? ''}>
                      {d.channel}: {d.status}
                      {d.attempts > 1 ? ` (${d.attempts} tries)` : ''}
                    </div>
                  )),
              },
            ]}
          />
        )}
      </Card>
      <RulesCard operator={role === 'admin' || role === 'operator'} />
      <ChannelsCard admin={role === 'admin'} />
    </div>
  );
}
