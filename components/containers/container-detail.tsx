'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import clsx from 'clsx';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { LogViewer } from '../logs/log-viewer';
import { errorMessage, useTRPC } from '../trpc/react';
import type { ContainerInspect } from '../trpc/types';
import { Alert, Button, Card } from '../ui/controls';
import { EmptyState } from '../ui/empty-state';
import { shortId } from '../ui/format';
import { StateBadge } from '../ui/state-badge';
import { ChangesTree } from './changes-tree';
import { FileBrowser } from './file-browser';
import { LiveFiles } from '../layers/live-files';
import { JsonTree } from './json-tree';
import { OverviewTab } from './overview-tab';
import { StatsPanel } from './stats-panel';
import dynamic from 'next/dynamic';
import { RoleNotice } from '../auth/role-notice';
import { DataTable } from '../ui/data-table';

// xterm touches `window` when imported: load it in the browser only.
const ContainerTerminal = dynamic(() => import('./terminal').then((m) => m.ContainerTerminal), { ssr: false });

const TABS = ['overview', 'logs', 'stats', 'terminal', 'files', 'browse', 'processes', 'inspect'] as const;
type Tab = (typeof TABS)[number];

/** Live on the embedded engine; the Engine's changes list (Refresh button) on remote endpoints. */
function FilesTab({ id }: { id: string }) {
  return <LiveFiles id={id} fallback={<StaticFilesTab id={id} />} />;
}

function StaticFilesTab({ id }: { id: string }) {
  const trpc = useTRPC();
  const changes = useQuery(trpc.containers.changes.queryOptions({ id }, { staleTime: Infinity }));
  return (
    <Card
      title="Changes since the image"
      actions={
        <Button variant="secondary" onClick={() => void changes.refetch()} disabled={changes.isFetching}>
          {changes.isFetching ? 'Refreshing…' : 'Refresh'}
        </Button>
      }
    >
      <p className="mb-3 text-xs text-slate-500">
        <span className="font-bold text-emerald-600">A</span> added, <span className="font-bold text-amber-600">M</span> modified,{' '}
        <span className="font-bold text-rose-600">D</span> deleted, relative to the image.
      </p>
      {changes.error ? <Alert>{errorMessage(changes.error)}</Alert> : null}
      {changes.data && changes.data.length === 0 ? <EmptyState title="No changes">The container has not written to its filesystem. Refresh after it does.</EmptyState> : null}
      {changes.data?.length ? <ChangesTree changes={changes.data} /> : null}
    </Card>
  );
}

function ProcessesTab({ id, running }: { id: string; running: boolean }) {
  const trpc = useTRPC();
  const [top, setTop] = useState<{ Titles: string[]; Processes: string[][] } | null>(null);
  const sub = useSubscription(trpc.containers.topStream.subscriptionOptions({ id }, { enabled: running, onData: setTop }));
  if (!running) return <Alert kind="info">The container is not running, so it has no processes. Start it to see them.</Alert>;
  return (
    <Card title="Processes" actions={<span className="text-xs text-slate-500">refreshed every 2 s</span>}>
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      {!top ? <p className="text-sm text-slate-500">Asking the engine…</p> : null}
      {top ? (
        <DataTable
          rows={top.Processes.map((values, i) => ({ i, values }))}
          rowKey={(p) => String(p.i)}
          testId="processes"
          className="font-mono text-xs"
          compact
          columns={top.Titles.map((t, j) => ({
            key: `${j}-${t}`,
            header: t,
            // Only the command may wrap; UID, PID, times stay on one line.
            className: j === top.Titles.length - 1 ? 'break-all' : 'whitespace-nowrap',
            cell: (p: { values: string[] }) => p.values[j],
          }))}
        />
      ) : null}
    </Card>
  );
}

function InspectTab({ c }: { c: ContainerInspect }) {
  const [copied, setCopied] = useState(false);
  return (
    <Card
      title="Inspect"
      actions={
        <Button
          variant="secondary"
          onClick={() =>
            void navigator.clipboard
              .writeText(JSON.stringify(c, null, 2))
              .then(() => setCopied(true))
              .catch(() => setCopied(false))
          }
        >
          {copied ? 'Copied' : 'Copy JSON'}
        </Button>
      }
    >
      <div className="max-h-[70vh] overflow-auto font-mono text-xs" data-testid="inspect-json">
        <JsonTree value={c} />
      </div>
    </Card>
  );
}

export function ContainerDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const canOperate = useHasRole('operator');
  const tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as Tab) : 'overview';
  const startError = params.get('startError');
  const [c, setC] = useState<ContainerInspect | null>(null);
  // The inspect document, pushed again on every event of this container: no polling.
  const sub = useSubscription(
    trpc.containers.watch.subscriptionOptions(
      { id },
      {
        onData: (doc) => setC(doc),
        onError: () => undefined,
      },
    ),
  );

  if (sub.error && !c) {
    return (
      <div className="space-y-3">
        <Alert>{errorMessage(sub.error)}</Alert>
        <Link href="/containers" className="text-sm text-sky-600 hover:underline">
          ← Back to containers
        </Link>
      </div>
    );
  }
  if (!c) return <p className="text-sm text-slate-500">Loading container…</p>;
  const name = c.Name.replace(/^\//, '');
  const running = c.State.Running && !c.State.Paused;
  const visibleTabs = TABS.filter((t) => t !== 'terminal' || canOperate);
  return (
    <div className="space-y-4">
      <div className="flex items-end justify-between">
        <div>
          <Link href="/containers" className="text-sm text-sky-600 hover:underline">
            ← Containers
          </Link>
          <h1 className="mt-1 flex items-center gap-3 text-2xl font-semibold tracking-tight">
            {name} <StateBadge state={c.State.Status} health={c.State.Health?.Status ?? null} />
          </h1>
          <p className="font-mono text-xs text-slate-500">{shortId(c.Id)}</p>
        </div>
      </div>
      {startError ? <Alert>Created, but it did not start: {startError}</Alert> : null}
      <nav role="tablist" aria-label="Container" className="flex gap-1 overflow-x-auto border-b border-slate-200 dark:border-slate-800">
        {visibleTabs.map((t) => (
          <button
            key={t}
            role="tab"
            type="button"
            aria-selected={tab === t}
            onClick={() => router.replace(`${pathname}?tab=${t}`)}
            className={clsx(
              '-mb-px border-b-2 px-3 py-2 text-sm capitalize',
              tab === t ? 'border-sky-600 font-medium text-sky-700 dark:text-sky-300' : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400',
            )}
          >
            {t}
          </button>
        ))}
      </nav>
      <div role="tabpanel">
        {tab === 'overview' ? <OverviewTab c={c} /> : null}
        {tab === 'logs' ? <LogViewer containerId={c.Id} /> : null}
        {tab === 'stats' ? <StatsPanel containerId={c.Id} running={running} /> : null}
        {tab === 'terminal' ? canOperate ? <ContainerTerminal containerId={c.Id} running={running} paused={c.State.Paused} /> : <RoleNotice need="operator" kind="error">Terminals need the operator role.</RoleNotice> : null}
        {tab === 'files' ? <FilesTab id={c.Id} /> : null}
        {tab === 'browse' ? <FileBrowser id={c.Id} running={running} /> : null}
        {tab === 'processes' ? <ProcessesTab id={c.Id} running={c.State.Running} /> : null}
        {tab === 'inspect' ? <InspectTab c={c} /> : null}
      </div>
    </div>
  );
}
