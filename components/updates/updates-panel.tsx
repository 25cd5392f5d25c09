'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Card } from '../ui/controls';
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
          <table className="mt-3 w-full text-left text-sm" data-testid="updates-history">
            <thead className="text-xs uppercase text-slate-500">
              <tr>
                <th className="py-1">When</th>
                <th className="py-1">Container</th>
                <th className="py-1">Image</th>
                <th className="py-1">Outcome</th>
                <th className="py-1">By</th>
              </tr>
            </thead>
            <tbody>
              {(history.data ?? []).map((h) => (
                <tr key={h.id} className="border-t border-slate-100 dark:border-slate-800">
                  <td className="py-1">{timeAgo(new Date(h.finishedAt).getTime() / 1000)}</td>
                  <td className="py-1">{h.name}</td>
                  <td className="py-1 font-mono text-xs">
                    {h.image} {shortId(h.fromImageId)} → {h.toImageId ? shortId(h.toImageId) : '—'}
                  </td>
                  <td className="py-1" title={h.reason ?? ''}>
                    {h.status}
                    {h.reason ? `: ${h.reason}` : ''}
                  </td>
                  <td className="py-1">{h.actor ?? h.trigger}</td>
                </tr>
              ))}
              {history.data && !history.data.length ? (
                <tr>
                  <td colSpan={5} className="py-2 text-slate-500">
                    No updates yet.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        )
      ) : null}
    </Card>
  );
}
