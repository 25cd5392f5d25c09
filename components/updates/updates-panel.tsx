'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Card } from '../ui/controls';
import { DataTable } from '../ui/data-table';
import { shortId, timeAgo } from '../ui/format';
import type { useUpdateChecks } from './use-updates';

/** "Check now", what has an update, and the history of updates. */
export function UpdatesPanel({ checks }: { checks: ReturnType<typeof useUpdateChecks> }) {
  const trpc = useTRPC();
  const [showHistory, setShowHistory] = useState(false);
  const history = useQuery({ ...trpc.updates.history.queryOptions({ take: 50 }), enabled: showHistory });
  const available = checks.results.filter((r) => r.status === 'update-available');
  const unknown = checks.results.filter((r) => r.status === 'unknown');
  return (
    <Card
      title="Image updates"
      actions={
        <span className="flex gap-2">
          <Button variant="ghost" onClick={() => setShowHistory((v) => !v)}>
            {showHistory ? 'Hide history' : 'History'}
          </Button>
          <Button variant="secondary" disabled={checks.checking} onClick={() => void checks.checkNow()} data-testid="check-updates">
            {checks.checking ? 'Checking…' : 'Check now'}
          </Button>
        </span>
      }
    >
      {checks.error ? <Alert>{errorMessage(checks.error)}</Alert> : null}
      <p className="text-sm text-slate-600 dark:text-slate-300" data-testid="updates-summary">
        {checks.loading ? 'Checking registries…' : `${available.length} update(s) available, ${unknown.length} image(s) Berth cannot check.`}
      </p>
      {unknown.length ? (
        <details className="mt-1 text-xs text-slate-500">
          <summary>Why some images cannot be checked</summary>
          <ul className="mt-1 list-disc pl-5">
            {unknown.map((r) => (
              <li key={r.ref}>
                {r.ref}: {r.status === 'unknown' ? r.reason : ''}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {showHistory ? (
        history.error ? (
          <Alert>{errorMessage(history.error)}</Alert>
        ) : (
          <div className="mt-3">
            <DataTable
              rows={history.data}
              testId="updates-history"
              compact
              rowKey={(h) => String(h.id)}
              empty={<p className="py-2 text-sm text-slate-500">No updates yet.</p>}
              columns={[
                { key: 'when', header: 'When', cell: (h) => timeAgo(new Date(h.finishedAt).getTime() / 1000), sortValue: (h) => new Date(h.finishedAt).getTime() },
                { key: 'name', header: 'Container', cell: (h) => h.name, sortValue: (h) => h.name },
                { key: 'image', header: 'Image', hideBelow: 'md', className: 'font-mono text-xs', cell: (h) => `${h.image} ${shortId(h.fromImageId)} → ${h.toImageId ? shortId(h.toImageId) : '—'}` },
                { key: 'outcome', header: 'Outcome', cell: (h) => `${h.status}${h.reason ? `: ${h.reason}` : ''}`, cellProps: (h) => ({ title: h.reason ?? '' }), sortValue: (h) => h.status },
                { key: 'by', header: 'By', hideBelow: 'sm', cell: (h) => h.actor ?? h.trigger },
              ]}
            />
          </div>
        )
      ) : null}
    </Card>
  );
}
