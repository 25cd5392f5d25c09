'use client';

import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useEffect, useMemo, useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { Sparkline } from '../charts/sparkline';
import { errorMessage, useTRPC, useTRPCClient } from '../trpc/react';
import type { ContainerSummary } from '../trpc/types';
import { Alert, Button, Select, TextInput } from '../ui/controls';
import { DataTable } from '../ui/data-table';
import { EmptyState } from '../ui/empty-state';
import { containerName, formatBytes, formatPercent, shortId, timeAgo } from '../ui/format';
import { healthOf, StateBadge } from '../ui/state-badge';
import { RemoveDialog } from './remove-dialog';
import { useBulkRunner, type BulkAction, type BulkProgress } from './use-container-actions';
import { UpdateBadge } from '../updates/update-badge';
import { UpdateButton, UpdateOutcomeText, type UpdateOutcome } from '../updates/update-button';
import { useUpdateChecks, useUpdateProgress } from '../updates/use-updates';

const STATES = ['running', 'paused', 'restarting', 'created', 'exited', 'dead'] as const;
const HISTORY = 30;

type Usage = { cpu: number[]; mem: number[]; memLimit: number };

/** Live CPU and memory of the rows on screen, over one multiplexed subscription. */
function useRowUsage(ids: string[]): Record<string, Usage> {
  const trpc = useTRPC();
  const [usage, setUsage] = useState<Record<string, Usage>>({});
  const key = ids.join(',');
  useEffect(() => setUsage((u) => Object.fromEntries(Object.entries(u).filter(([id]) => ids.includes(id)))), [key]); // eslint-disable-line react-hooks/exhaustive-deps
  useSubscription(
    trpc.containers.statsMany.subscriptionOptions(
      { ids },
      {
        enabled: ids.length > 0,
        onData: ({ id, point }) =>
          setUsage((u) => {
            const prev = u[id] ?? { cpu: [], mem: [], memLimit: 0 };
            return {
              ...u,
              [id]: { cpu: [...prev.cpu, point.cpuPercent].slice(-HISTORY), mem: [...prev.mem, point.memUsage].slice(-HISTORY), memLimit: point.memLimit },
            };
          }),
      },
    ),
  );
  return usage;
}

function PortLinks({ c }: { c: ContainerSummary }) {
  const seen = new Set<string>();
  const links = c.Ports.filter((p) => p.PublicPort).filter((p) => {
    const k = `${p.IP}:${p.PublicPort}/${p.Type}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (!links.length) return <span className="text-slate-400">—</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {links.map((p) => {
        const host = !p.IP || p.IP === '0.0.0.0' || p.IP === '::' ? (typeof window === 'undefined' ? 'localhost' : window.location.hostname) : p.IP;
        const label = `${host}:${p.PublicPort}`;
        return p.Type === 'tcp' ? (
          <a key={label} href={`http://${label}/`} target="_blank" rel="noreferrer" className="text-sky-600 hover:underline" data-testid="port-link">
            {label}
            <span className="text-slate-400">→{p.PrivatePort}</span>
          </a>
        ) : (
          <span key={label}>
            {label}/udp
          </span>
        );
      })}
    </span>
  );
}

export function ContainersList() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const canOperate = useHasRole('operator');
  const updates = useUpdateChecks();
  const updateSteps = useUpdateProgress();
  const [rows, setRows] = useState<ContainerSummary[] | null>(null);
  const [query, setQuery] = useState('');
  const [state, setState] = useState('');
  const [label, setLabel] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [progress, setProgress] = useState<BulkProgress | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Update outcomes by container name: the update recreates the container, so its row (and id) change.
  const [updateSaid, setUpdateSaid] = useState<Record<string, UpdateOutcome>>({});
  const runBulk = useBulkRunner();

  const sub = useSubscription(trpc.containers.watchList.subscriptionOptions({ all: true }, { onData: (list) => setRows(list) }));

  const labelKeys = useMemo(() => {
    const keys = new Set<string>();
    for (const c of rows ?? []) for (const [k, v] of Object.entries(c.Labels ?? {})) keys.add(`${k}=${v}`);
    return [...keys].sort();
  }, [rows]);

  const visible = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (rows ?? []).filter((c) => {
      if (state && c.State !== state) return false;
      if (label) {
        const [k, v] = label.split('=');
        if ((c.Labels ?? {})[k!] !== v) return false;
      }
      if (!q) return true;
      return [containerName(c.Names, c.Id), c.Image, c.Id, c.Command, c.Status].some((s) => s.toLowerCase().includes(q));
    });
  }, [rows, query, state, label]);

  // Only running rows that are listed get a stats stream.
  const liveIds = useMemo(() => visible.filter((c) => c.State === 'running').slice(0, 100).map((c) => c.Id), [visible]);
  const usage = useRowUsage(liveIds);


  const [askRemove, setAskRemove] = useState<ContainerSummary[] | null>(null);
  const bulk = async (action: BulkAction, volumes = false) => {
    const ids = visible.filter((c) => selected.has(c.Id)).map((c) => c.Id);
    if (!ids.length) return;
    // Removing asks first, in the app's own dialog.
    if (action === 'remove' && !askRemove) {
      setAskRemove(visible.filter((c) => selected.has(c.Id)));
      return;
    }
    setAskRemove(null);
    setNotice(null);
    const result = await runBulk(action, ids, setProgress, { volumes });
    if (action === 'remove') setSelected(new Set());
    if (result.failures.length) setNotice(result.failures.map((f) => `${shortId(f.id)}: ${f.message}`).join('\n'));
    setTimeout(() => setProgress((p) => (p === result || p?.done === p?.total ? null : p)), 1500);
  };

  const copyRun = async (id: string) => {
    try {
      const { command } = await client.containers.dockerRun.query({ id });
      await navigator.clipboard.writeText(command).catch(() => undefined);
      setNotice(null);
      setCopied(command);
    } catch (err) {
      setNotice(errorMessage(err));
    }
  };
  const [copied, setCopied] = useState<string | null>(null);

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <TextInput
          data-search
          aria-label="Search containers"
          placeholder="Search name, image, id…  ( / )"
          className="w-full sm:w-72"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <Select aria-label="State filter" className="w-40" value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">All states</option>
          {STATES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </Select>
        <Select aria-label="Label filter" className="w-56" value={label} onChange={(e) => setLabel(e.target.value)}>
          <option value="">All labels</option>
          {labelKeys.map((l) => (
            <option key={l}>{l}</option>
          ))}
        </Select>
        <span className="flex-1" />
        {canOperate ? (
          <div className="flex gap-1" role="group" aria-label="Bulk actions">
            {(['start', 'stop', 'restart', 'kill', 'remove'] as const).map((a) => (
              <Button key={a} variant={a === 'remove' ? 'danger' : 'secondary'} disabled={!selected.size || (progress !== null && progress.done < progress.total)} onClick={() => void bulk(a)}>
                {a[0]!.toUpperCase() + a.slice(1)}
              </Button>
            ))}
          </div>
        ) : null}
      </div>

      {progress ? (
        <div role="status" data-testid="bulk-progress" className="rounded-md border border-slate-200 bg-white p-2 text-sm dark:border-slate-800 dark:bg-slate-900">
          <div className="mb-1">
            {progress.action}: {progress.done} of {progress.total}
            {progress.failures.length ? `, ${progress.failures.length} failed` : ''}
          </div>
          <div className="h-1.5 rounded bg-slate-200 dark:bg-slate-800">
            <div className="h-1.5 rounded bg-sky-600 transition-all" style={{ width: `${(progress.done / Math.max(1, progress.total)) * 100}%` }} />
          </div>
        </div>
      ) : null}
      {notice ? (
        <Alert>
          <pre className="whitespace-pre-wrap font-sans">{notice}</pre>
        </Alert>
      ) : null}
      {copied ? (
        <Alert kind="success">
          Copied: <code data-testid="docker-run" className="break-all">{copied}</code>
        </Alert>
      ) : null}
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      {askRemove ? (
        <RemoveDialog
          names={askRemove.map((c) => containerName(c.Names, c.Id))}
          running={askRemove.filter((c) => c.State === 'running' || c.State === 'paused').length}
          busy={false}
          onCancel={() => setAskRemove(null)}
          onConfirm={(volumes) => void bulk('remove', volumes)}
        />
      ) : null}

      {rows === null && !sub.error ? <p className="text-sm text-slate-500">Loading containers…</p> : null}
      {rows && rows.length === 0 ? (
        <EmptyState title="No containers yet" testId="containers-empty">
          {canOperate ? (
            <>
              <Link className="font-medium text-sky-600 hover:underline" href="/containers/new">
                Create a container
              </Link>{' '}
              from an image such as busybox.
            </>
          ) : (
            'An operator can create one; you can watch it appear here.'
          )}
        </EmptyState>
      ) : null}
      {rows && rows.length > 0 && visible.length === 0 ? <EmptyState title="Nothing matches">Clear the search or the filters.</EmptyState> : null}

      {visible.length > 0 ? (
        <DataTable
          rows={visible}
          rowKey={(c) => c.Id}
          testId="containers-table"
          selection={{ selected, onChange: setSelected, label: (c) => `Select ${containerName(c.Names, c.Id)}` }}
          rowProps={(c) => ({ 'data-testid': `container-row-${containerName(c.Names, c.Id)}` })}
          columns={[
            {
              key: 'name',
              header: 'Name',
              className: 'font-medium',
              cell: (c) => (
                <>
                  <Link href={`/containers/${c.Id}`} className="hover:underline">
                    {containerName(c.Names, c.Id)}
                  </Link>
                  <div className="font-mono text-xs text-slate-400">{shortId(c.Id)}</div>
                </>
              ),
            },
            {
              key: 'image',
              header: 'Image',
              className: 'break-all',
              cell: (c) => (
                <>
                  <Link href={`/layers/${encodeURIComponent(c.Image)}`} className="hover:underline" title={`Layers of ${c.Image}`}>
                    {c.Image}
                  </Link>
                  <UpdateBadge result={updates.byRef.get(c.Image)} />
                  {canOperate && updates.byRef.get(c.Image)?.status === 'update-available' ? (
                    <div className="mt-1">
                      <UpdateButton
                        containerId={c.Id}
                        containerName={containerName(c.Names, c.Id)}
                        step={updateSteps[c.Id]}
                        onOutcome={(said, name) =>
                          setUpdateSaid((m) => {
                            const { [name]: _old, ...rest } = m;
                            return said ? { ...rest, [name]: said } : rest;
                          })
                        }
                      />
                    </div>
                  ) : null}
                  {updateSaid[containerName(c.Names, c.Id)] ? (
                    <div className="mt-1">
                      <UpdateOutcomeText said={updateSaid[containerName(c.Names, c.Id)]!} />
                    </div>
                  ) : null}
                </>
              ),
            },
            { key: 'state', header: 'State', cellProps: (c) => ({ title: c.Status }), cell: (c) => <StateBadge state={c.State} health={healthOf(c.Status)} /> },
            {
              key: 'cpu',
              header: 'CPU',
              hideBelow: 'md',
              cellProps: () => ({ 'data-testid': 'cpu-cell' }),
              cell: (c) => {
                const u = usage[c.Id];
                return u ? (
                  <span className="flex items-center gap-2">
                    <Sparkline values={u.cpu} max={100} label={`CPU of ${containerName(c.Names, c.Id)}`} />
                    <span className="w-12 tabular-nums">{formatPercent(u.cpu.at(-1) ?? 0)}</span>
                  </span>
                ) : (
                  <span className="text-slate-400">—</span>
                );
              },
            },
            {
              key: 'memory',
              header: 'Memory',
              hideBelow: 'md',
              cell: (c) => {
                const u = usage[c.Id];
                return u ? (
                  <span className="flex items-center gap-2">
                    <Sparkline values={u.mem} max={u.memLimit || undefined} color="#7c3aed" label={`Memory of ${containerName(c.Names, c.Id)}`} />
                    <span className="w-16 tabular-nums">{formatBytes(u.mem.at(-1) ?? 0)}</span>
                  </span>
                ) : (
                  <span className="text-slate-400">—</span>
                );
              },
            },
            { key: 'ports', header: 'Ports', hideBelow: 'md', cell: (c) => <PortLinks c={c} /> },
            { key: 'created', header: 'Created', hideBelow: 'md', className: 'tabular-nums', cellProps: (c) => ({ title: new Date(c.Created * 1000).toLocaleString() }), cell: (c) => timeAgo(c.Created) },
            {
              key: 'actions',
              header: 'Actions',
              align: 'right',
              cell: (c) => (
                <Button variant="ghost" onClick={() => void copyRun(c.Id)} aria-label={`Copy docker run for ${containerName(c.Names, c.Id)}`}>
                  Copy docker run
                </Button>
              ),
            },
          ]}
        />
      ) : null}
    </div>
  );
}
