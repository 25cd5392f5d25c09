'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import clsx from 'clsx';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { EventsTable, type EngineEvent } from '../events/event-row';
import { ConfirmDialog } from '../images/confirm-dialog';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Card, PageHeader } from '../ui/controls';
import { EmptyState } from '../ui/empty-state';
import { DeployProgressView, useDeployRun } from './deploy-run';
import { EditPanel } from './edit-panel';
import { HistoryPanel } from './history-panel';
import { ServicesPanel } from './services-panel';
import { useStackEvents } from './stack-events';
import { IssueList } from './stack-files-editor';
import { StackLogs } from './stack-logs';
import { StackUpdates } from '../updates/stack-updates';
import { HealthSummary, OriginBadge, PortList, StatusBadge } from './stacks-list';
import type { StackDetail as Detail } from './types';

type Tab = 'services' | 'logs' | 'events' | 'edit' | 'history';
type Action = 'stop' | 'restart' | 'down' | 'remove';
const KEEP_EVENTS = 1000;

function EventsPanel({ events }: { events: EngineEvent[] }) {
  if (!events.length) return <EmptyState title="No events in the last 24 hours">Container, network and volume events of this stack appear here live.</EmptyState>;
  return (
    <EventsTable events={events} testId="stack-events" />
  );
}

function Actions({ stack, disabled }: { stack: Detail; disabled: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState<Action | null>(null);
  const [volumes, setVolumes] = useState(false);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.stacks.get.queryKey({ name: stack.name }) });
    void queryClient.invalidateQueries({ queryKey: trpc.stacks.list.queryKey() });
  };
  const opts = { onSettled: refresh, onSuccess: () => setConfirm(null) };
  const start = useMutation(trpc.stacks.start.mutationOptions(opts));
  const stop = useMutation(trpc.stacks.stop.mutationOptions(opts));
  const restart = useMutation(trpc.stacks.restart.mutationOptions(opts));
  const down = useMutation(trpc.stacks.down.mutationOptions(opts));
  const remove = useMutation(trpc.stacks.remove.mutationOptions({ onSuccess: () => router.push('/stacks'), onSettled: refresh }));
  const busy = [start, stop, restart, down, remove].some((m) => m.isPending) || disabled;
  const error = [start, stop, restart, down, remove].find((m) => m.error)?.error;
  const hasContainers = stack.containers.total > 0;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" disabled={busy || !hasContainers || stack.status === 'running'} onClick={() => start.mutate({ name: stack.name })}>
          Start
        </Button>
        <Button variant="secondary" disabled={busy || !stack.containers.running} onClick={() => setConfirm('stop')}>
          Stop
        </Button>
        <Button variant="secondary" disabled={busy || !hasContainers} onClick={() => setConfirm('restart')}>
          Restart
        </Button>
        <Button variant="danger" disabled={busy || (!hasContainers && !stack.networks.length)} onClick={() => setConfirm('down')}>
          Down…
        </Button>
        {stack.origin === 'berth' ? (
          <Button variant="ghost" disabled={busy} onClick={() => setConfirm('remove')}>
            Remove…
          </Button>
        ) : null}
      </div>
      {error ? <Alert>{errorMessage(error)}</Alert> : null}
      {confirm === 'stop' || confirm === 'restart' ? (
        <ConfirmDialog title={`${confirm === 'stop' ? 'Stop' : 'Restart'} ${stack.name}?`} confirmLabel={confirm === 'stop' ? 'Stop' : 'Restart'} busy={busy} onCancel={() => setConfirm(null)} onConfirm={() => (confirm === 'stop' ? stop : restart).mutate({ name: stack.name })}>
          <p>
            {stack.containers.running} running container{stack.containers.running === 1 ? '' : 's'} {confirm === 'stop' ? 'stop, dependents first' : 'stop and start again, in dependency order'}.
          </p>
        </ConfirmDialog>
      ) : null}
      {confirm === 'down' ? (
        <ConfirmDialog title={`Take ${stack.name} down?`} confirmLabel="Down" busy={busy} onCancel={() => setConfirm(null)} onConfirm={() => down.mutate({ name: stack.name, volumes })}>
          <p>Its containers and networks are removed{stack.origin === 'berth' ? '; the files and history stay, so it can be deployed again' : ''}.</p>
          <label className="flex items-center gap-2">
            <input type="checkbox" checked={volumes} onChange={(e) => setVolumes(e.target.checked)} /> Also remove its named volumes ({stack.volumes.length}): their data is lost
          </label>
        </ConfirmDialog>
      ) : null}
      {confirm === 'remove' ? (
        <ConfirmDialog title={`Remove ${stack.name}?`} confirmLabel="Remove" busy={busy} onCancel={() => setConfirm(null)} onConfirm={() => remove.mutate({ name: stack.name })}>
          <p>Its containers, networks and named volumes are removed, and Berth forgets its files and history.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

export function StackDetailView({ name }: { name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canChange = useHasRole('operator');
  const q = useQuery(trpc.stacks.get.queryOptions({ name }));
  const [tab, setTab] = useState<Tab>('services');
  const [events, setEvents] = useState<EngineEvent[]>([]);
  useStackEvents(name, { sinceSeconds: 24 * 3600, onEvent: (e) => setEvents((l) => [e, ...l].slice(0, KEEP_EVENTS)) });
  const run = useDeployRun(() => {
    void queryClient.invalidateQueries({ queryKey: trpc.stacks.get.queryKey({ name }) });
    void queryClient.invalidateQueries({ queryKey: trpc.stacks.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.stacks.versions.queryKey({ name }) });
  });

  if (q.error) return <Alert>{errorMessage(q.error)}</Alert>;
  const s = q.data;
  if (!s) return <p className="text-sm text-slate-500">Loading…</p>;
  const tabs: [Tab, string][] = [
    ['services', 'Services'],
    ['logs', 'Logs'],
    ['events', 'Events'],
    ...(s.content ? ([['edit', canChange ? 'Edit' : 'Files'], ['history', 'History']] as [Tab, string][]) : []),
  ];
  return (
    <>
      <PageHeader
        title={s.name}
        subtitle={s.workingDir ?? undefined}
        actions={
          <Link href="/stacks" className="text-sm text-sky-700 hover:underline dark:text-sky-400">
            ← All stacks
          </Link>
        }
      />
      <div className="space-y-4">
        <Card>
          <div className="flex flex-wrap items-center gap-4 text-sm" data-testid="stack-summary" data-status={s.status}>
            <OriginBadge origin={s.origin} />
            <StatusBadge status={s.status} />
            <span className="tabular-nums" data-testid="stack-containers">
              {s.containers.running}/{s.containers.total} running
            </span>
            <HealthSummary health={s.health} />
            <PortList ports={s.ports} />
            <StackUpdates name={s.name} images={s.serviceDetails.flatMap((v) => v.containers.map((c) => c.image))} />
            {s.version ? <span className="text-slate-500">version {s.version}</span> : null}
            <span className="text-xs text-slate-500">updated {s.updatedAt ? new Date(s.updatedAt).toLocaleString() : '—'}</span>
          </div>
          {canChange ? (
            <div className="mt-3">
              <Actions stack={s} disabled={run.running} />
            </div>
          ) : null}
          {s.origin === 'cli' ? <p className="mt-2 text-xs text-slate-500">Made by a Compose CLI: Berth lists and controls its containers but has none of its files.</p> : null}
          {s.loadError ? (
            <div className="mt-2">
              <Alert>
                The current files no longer load:
                <IssueList issues={s.loadError} />
              </Alert>
            </div>
          ) : null}
          {s.warnings.length ? <p className="mt-2 text-xs text-amber-700 dark:text-amber-300">{s.warnings.join(' · ')}</p> : null}
        </Card>
        {run.progress || run.error ? (
          <Card title="Deploy">
            {run.error ? <Alert>{run.error}</Alert> : null}
            {run.progress ? <DeployProgressView progress={run.progress} /> : null}
            {!run.running ? (
              <Button variant="ghost" className="mt-2 text-xs" onClick={run.reset}>
                Dismiss
              </Button>
            ) : null}
          </Card>
        ) : null}
        <div className="flex gap-1 border-b border-slate-200 dark:border-slate-800" role="tablist">
          {tabs.map(([t, label]) => (
            <button
              key={t}
              type="button"
              role="tab"
              aria-selected={tab === t}
              onClick={() => setTab(t)}
              className={clsx('-mb-px border-b-2 px-3 py-1.5 text-sm', tab === t ? 'border-sky-600 font-medium' : 'border-transparent text-slate-500 hover:text-slate-800 dark:hover:text-slate-200')}
            >
              {label}
            </button>
          ))}
        </div>
        {tab === 'services' ? <ServicesPanel stack={s} canChange={canChange} /> : null}
        {tab === 'logs' ? <StackLogs stack={s} /> : null}
        {tab === 'events' ? <EventsPanel events={events} /> : null}
        {tab === 'edit' && s.content ? <EditPanel key={s.version ?? 0} stack={s} run={run} canChange={canChange} /> : null}
        {tab === 'history' && s.content ? <HistoryPanel stack={s} run={run} canChange={canChange} /> : null}
      </div>
    </>
  );
}
