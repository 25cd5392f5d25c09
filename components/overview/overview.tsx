'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Sparkline } from '../charts/sparkline';
import { EventsTable, type EngineEvent } from '../events/event-row';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Card } from '../ui/controls';
import { formatBytes, formatPercent } from '../ui/format';

function Stat({ label, value, testId, href }: { label: string; value: string | number; testId?: string; href?: string }) {
  const body = (
    <div className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
      <div className="text-xs uppercase tracking-wide text-slate-500">{label}</div>
      <div data-testid={testId} className="mt-1 text-2xl font-semibold tabular-nums">
        {value}
      </div>
    </div>
  );
  return href ? <Link href={href}>{body}</Link> : body;
}

function HostUsage({ cpus, memTotal }: { cpus: number; memTotal: number }) {
  const trpc = useTRPC();
  const [cpu, setCpu] = useState<number[]>([]);
  const [mem, setMem] = useState<{ used: number; total: number } | null>(null);
  useSubscription(
    trpc.system.hostUsage.subscriptionOptions(undefined, {
      onData: (u) => {
        setCpu((c) => [...c, u.cpuPercent].slice(-60));
        setMem({ used: u.memUsed, total: u.memTotal });
      },
    }),
  );
  return (
    <div className="grid grid-cols-2 gap-4 text-sm">
      <div>
        <div className="text-slate-500">CPU ({cpus} cores)</div>
        <div className="flex items-center gap-2">
          <Sparkline values={cpu} max={100} label="Host CPU" />
          <span className="tabular-nums" data-testid="host-cpu">
            {cpu.length ? formatPercent(cpu.at(-1)!) : '…'}
          </span>
        </div>
      </div>
      <div>
        <div className="text-slate-500">Memory</div>
        <div className="tabular-nums" data-testid="host-memory">
          {mem ? `${formatBytes(mem.used)} of ${formatBytes(mem.total)}` : `${formatBytes(memTotal)} total`}
        </div>
        {mem ? (
          <div className="mt-1 h-1.5 rounded bg-slate-200 dark:bg-slate-800">
            <div className="h-1.5 rounded bg-violet-600" style={{ width: `${(mem.used / mem.total) * 100}%` }} />
          </div>
        ) : null}
      </div>
    </div>
  );
}

function LatestEvents() {
  const trpc = useTRPC();
  const [events, setEvents] = useState<EngineEvent[]>([]);
  const sub = useSubscription(
    trpc.events.stream.subscriptionOptions({ sinceSeconds: 24 * 3600, types: [], actions: [] }, { onData: (e) => setEvents((l) => [e, ...l].slice(0, 20)) }),
  );
  return (
    <Card title="Latest events" actions={<Link className="text-sm text-sky-600 hover:underline" href="/events">All events →</Link>}>
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      {events.length === 0 ? (
        <p className="text-sm text-slate-500">Nothing happened in the last day. Events appear here live.</p>
      ) : (
        <EventsTable events={events} testId="latest-events" noHeader />
      )}
    </Card>
  );
}

/** Counts, host use and disk use of the chosen endpoint. Counts refresh when events arrive. */
export function Overview() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.system.overview.queryOptions());
  // Counts change with container and image events; refetch on those, never on a timer.
  useSubscription(
    trpc.events.stream.subscriptionOptions(
      { sinceSeconds: 0, types: ['container', 'image', 'volume'], actions: ['create', 'start', 'die', 'destroy', 'pause', 'unpause', 'delete', 'tag', 'untag', 'import', 'load', 'pull'] },
      { onData: () => void overview.refetch() },
    ),
  );
  if (overview.error) return <Alert>{errorMessage(overview.error)}</Alert>;
  if (!overview.data) return <p className="text-sm text-slate-500">Asking the engine…</p>;
  const { endpoint, unavailable, data } = overview.data;
  if (unavailable || !data) {
    return (
      <div data-testid="engine-unavailable">
        <Alert kind="info">
          <strong>{endpoint.name} is not available.</strong> {unavailable}
        </Alert>
      </div>
    );
  }
  const s = data.byState;
  const total = Object.values(s).reduce((a, b) => a + b, 0);
  const info = data.info;
  return (
    <div className="space-y-4">
      <div className="grid grid-cols-3 gap-2 sm:gap-4 md:grid-cols-6">
        <Stat label="Containers" value={total} testId="count-containers" href="/containers" />
        <Stat label="Running" value={s.running ?? 0} testId="count-running" />
        <Stat label="Paused" value={s.paused ?? 0} testId="count-paused" />
        <Stat label="Stopped" value={(s.exited ?? 0) + (s.created ?? 0) + (s.dead ?? 0)} testId="count-stopped" />
        <Stat label="Images" value={info?.Images ?? data.disk?.imageCount ?? '—'} testId="count-images" />
        <Stat label="Volumes" value={data.volumeCount ?? '—'} testId="count-volumes" />
      </div>
      {data.containersError ? <Alert>{data.containersError}</Alert> : null}
      {data.volumesError ? <p className="text-xs text-slate-500">Volumes: {data.volumesError}</p> : null}
      <div className="grid gap-4 md:grid-cols-2">
        <Card title={`Host — ${endpoint.name}`}>
          {info ? (
            endpoint.id === 'local' ? (
              <HostUsage cpus={info.NCPU} memTotal={info.MemTotal} />
            ) : (
              <p className="text-sm">
                {info.NCPU} CPUs, {formatBytes(info.MemTotal)} memory, {info.OperatingSystem}
              </p>
            )
          ) : (
            <Alert>{data.infoError}</Alert>
          )}
          {info ? (
            <p className="mt-3 text-xs text-slate-500">
              {info.OperatingSystem} · kernel {info.KernelVersion} · {info.Driver} · cgroups {info.CgroupDriver} v{info.CgroupVersion} · version {info.ServerVersion}
            </p>
          ) : null}
        </Card>
        <Card title="Disk use">
          {data.disk ? (
            <dl className="grid grid-cols-2 gap-y-1 text-sm" data-testid="disk-use">
              <dt className="text-slate-500">Images (layers)</dt>
              <dd className="tabular-nums">{formatBytes(data.disk.images)}</dd>
              <dt className="text-slate-500">Containers (writable layers)</dt>
              <dd className="tabular-nums">{formatBytes(data.disk.containers)}</dd>
              <dt className="text-slate-500">Volumes</dt>
              <dd className="tabular-nums">{formatBytes(data.disk.volumes)}</dd>
              <dt className="text-slate-500">Build cache</dt>
              <dd className="tabular-nums">{formatBytes(data.disk.buildCache)}</dd>
            </dl>
          ) : (
            <Alert>{data.diskError}</Alert>
          )}
        </Card>
      </div>
      <LatestEvents />
    </div>
  );
}
