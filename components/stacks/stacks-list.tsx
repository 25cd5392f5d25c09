'use client';

import { useQuery } from '@tanstack/react-query';
import clsx from 'clsx';
import Link from 'next/link';
import { useHasRole } from '../auth/use-role';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert } from '../ui/controls';
import { EmptyState } from '../ui/empty-state';
import { useStackEvents } from './stack-events';
import type { StackSummary } from './types';
import { DataTable } from '../ui/data-table';

const STATUS: Record<StackSummary['status'], string> = {
  running: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  partial: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
  stopped: 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  empty: 'bg-slate-100 text-slate-500 dark:bg-slate-900 dark:text-slate-400',
};

export function OriginBadge({ origin }: { origin: StackSummary['origin'] }) {
  return (
    <span
      data-testid="stack-origin"
      title={origin === 'cli' ? 'Made by docker-compose or docker compose; Berth has no files of it' : 'Deployed through Berth; files and history kept'}
      className={clsx('rounded px-1.5 text-xs', origin === 'cli' ? 'bg-violet-100 text-violet-800 dark:bg-violet-950 dark:text-violet-200' : 'bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-200')}
    >
      {origin === 'cli' ? 'CLI' : 'Berth'}
    </span>
  );
}

export function StatusBadge({ status }: { status: StackSummary['status'] }) {
  return (
    <span data-testid="stack-status" className={clsx('rounded-full px-2 py-0.5 text-xs font-medium', STATUS[status])}>
      {status}
    </span>
  );
}

export function HealthSummary({ health }: { health: StackSummary['health'] }) {
  const parts = [
    ['healthy', health.healthy, 'text-emerald-700 dark:text-emerald-400'],
    ['unhealthy', health.unhealthy, 'text-rose-600'],
    ['starting', health.starting, 'text-amber-600'],
  ] as const;
  const shown = parts.filter(([, n]) => n > 0);
  if (!shown.length) return <span className="text-slate-400">—</span>;
  return (
    <span className="flex gap-2 text-xs" data-testid="stack-health">
      {shown.map(([label, n, cls]) => (
        <span key={label} className={cls} data-health={label}>
          {n} {label}
        </span>
      ))}
    </span>
  );
}

export function PortList({ ports }: { ports: StackSummary['ports'] }) {
  if (!ports.length) return <span className="text-slate-400">—</span>;
  const host = typeof window === 'undefined' ? 'localhost' : window.location.hostname;
  return (
    <span className="flex flex-wrap gap-1">
      {ports.map((p) => (
        <a
          key={`${p.service}-${p.ip}-${p.published}-${p.protocol}`}
          href={p.protocol === 'tcp' ? `http://${!p.ip || p.ip === '0.0.0.0' || p.ip === '::' ? host : p.ip}:${p.published}/` : undefined}
          target="_blank"
          rel="noreferrer"
          title={`${p.service}: ${p.published} → ${p.target}/${p.protocol}`}
          className="rounded bg-slate-100 px-1.5 font-mono text-xs text-sky-700 hover:underline dark:bg-slate-800 dark:text-sky-400"
        >
          {p.published}→{p.target}
          {p.protocol !== 'tcp' ? `/${p.protocol}` : ''}
        </a>
      ))}
    </span>
  );
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export function StacksList() {
  const trpc = useTRPC();
  const canOperate = useHasRole('operator');
  const list = useQuery(trpc.stacks.list.queryOptions());
  useStackEvents(null);
  if (list.error) return <Alert>{errorMessage(list.error)}</Alert>;
  if (!list.data) return <p className="text-sm text-slate-500">Loading stacks…</p>;
  if (!list.data.length)
    return (
      <EmptyState title="No stacks yet" testId="stacks-empty">
        {canOperate ? (
          <>
            <Link href="/stacks/new" className="text-sky-700 underline dark:text-sky-400">
              Write or upload a compose file
            </Link>{' '}
            to deploy one. Projects started with docker-compose against Berth&apos;s socket show up here too.
          </>
        ) : (
          'Projects deployed here or started with docker-compose against Berth’s socket show up here.'
        )}
      </EmptyState>
    );
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <DataTable
        rows={list.data}
        rowKey={(s) => s.name}
        testId="stacks-table"
        inset
        rowClassName={() => 'last:border-0'}
        rowProps={(s) => ({ 'data-testid': 'stack-row', 'data-stack': s.name, 'data-status': s.status })}
        columns={[
          {
            key: 'name',
            header: 'Name',
            cell: (s) => (
              <>
                <span className="flex items-center gap-2">
                  <Link href={`/stacks/${encodeURIComponent(s.name)}`} className="font-medium text-sky-700 hover:underline dark:text-sky-400">
                    {s.name}
                  </Link>
                  <OriginBadge origin={s.origin} />
                  {s.version ? <span className="text-xs text-slate-400">v{s.version}</span> : null}
                </span>
                <span className="block text-xs text-slate-500">{s.services.join(', ')}</span>
              </>
            ),
          },
          { key: 'status', header: 'Status', cell: (s) => <StatusBadge status={s.status} /> },
          {
            key: 'containers',
            header: 'Containers',
            className: 'tabular-nums',
            cellProps: () => ({ 'data-testid': 'stack-containers' }),
            cell: (s) => `${s.containers.running}/${s.containers.total} running`,
          },
          { key: 'health', header: 'Health', cell: (s) => <HealthSummary health={s.health} /> },
          { key: 'ports', header: 'Ports', cell: (s) => <PortList ports={s.ports} /> },
          { key: 'created', header: 'Created', hideBelow: 'md', className: 'text-xs text-slate-500', cell: (s) => when(s.createdAt) },
          { key: 'updated', header: 'Updated', hideBelow: 'md', className: 'text-xs text-slate-500', cell: (s) => when(s.updatedAt) },
        ]}
      />
    </div>
  );
}
