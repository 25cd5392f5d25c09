'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, TextInput } from '../ui/controls';
import { shortId } from '../ui/format';
import { StateBadge } from '../ui/state-badge';
import type { StackDetail } from './types';
import { DataTable } from '../ui/data-table';

type Container = StackDetail['serviceDetails'][number]['containers'][number];

function ContainerLinks({ containers }: { containers: Container[] }) {
  if (!containers.length) return <span className="text-xs text-slate-400">no containers</span>;
  return (
    <ul className="space-y-1">
      {containers.map((c) => (
        <li key={c.id} className="flex flex-wrap items-center gap-2 text-sm" data-testid="stack-container" data-state={c.state} data-health={c.health ?? ''}>
          <Link href={`/containers/${c.id}`} className="font-mono text-xs text-sky-700 hover:underline dark:text-sky-400">
            {c.name}
          </Link>
          <StateBadge state={c.state} health={c.health} />
          <span className="text-xs text-slate-500">{c.status}</span>
          <span className="font-mono text-xs text-slate-400">{shortId(c.id)}</span>
        </li>
      ))}
    </ul>
  );
}

function ScaleControl({ stack, service, desired, current }: { stack: string; service: string; desired: number | null; current: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [value, setValue] = useState(String(desired ?? current));
  const scale = useMutation(
    trpc.stacks.scale.mutationOptions({
      onSettled: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.stacks.get.queryKey({ name: stack }) });
        void queryClient.invalidateQueries({ queryKey: trpc.stacks.list.queryKey() });
      },
    }),
  );
  const n = Number(value);
  const ok = value !== '' && Number.isInteger(n) && n >= 0 && n <= 100;
  return (
    <form
      className="flex items-center gap-1"
      onSubmit={(e) => {
        e.preventDefault();
        if (ok) scale.mutate({ name: stack, service, replicas: n });
      }}
    >
      <TextInput aria-label={`Replicas of ${service}`} type="number" min={0} max={100} className="w-20 py-1" value={value} onChange={(e) => setValue(e.target.value)} />
      <Button type="submit" variant="secondary" disabled={!ok || scale.isPending}>
        {scale.isPending ? 'Scaling…' : 'Scale'}
      </Button>
      {scale.error ? <span className="text-xs text-rose-600" role="alert">{errorMessage(scale.error)}</span> : null}
    </form>
  );
}

export function ServicesPanel({ stack, canChange }: { stack: StackDetail; canChange: boolean }) {
  const scalable = canChange && stack.origin === 'berth' && !stack.loadError;
  return (
    <div className="space-y-4">
      <DataTable
        rows={stack.serviceDetails}
        rowKey={(s) => s.name}
        testId="stack-services"
        alignTop
        rowProps={(s) => ({
          'data-testid': 'stack-service',
          'data-service': s.name,
          'data-running': String(s.containers.filter((c) => c.state === 'running').length),
          'data-total': String(s.containers.length),
        })}
        columns={[
          {
            key: 'service',
            header: 'Service',
            cell: (s) => (
              <>
                <span className="font-medium">{s.name}</span>
                <span className="block font-mono text-xs text-slate-500">{s.image}</span>
              </>
            ),
          },
          {
            key: 'replicas',
            header: 'Replicas',
            className: 'tabular-nums',
            cellProps: () => ({ 'data-testid': 'service-replicas' }),
            cell: (s) => `${s.containers.filter((c) => c.state === 'running').length}/${s.desired ?? s.containers.length}`,
          },
          { key: 'containers', header: 'Containers', cell: (s) => <ContainerLinks containers={s.containers} /> },
          ...(scalable
            ? [
                {
                  key: 'scale',
                  header: 'Scale',
                  cell: (s: (typeof stack.serviceDetails)[number]) => <ScaleControl stack={stack.name} service={s.name} desired={s.desired} current={s.containers.length} />,
                },
              ]
            : []),
        ]}
      />
      {stack.orphans.length ? (
        <Alert kind="info">
          Containers of services the current files no longer have (remove them with a redeploy that removes orphans):
          <ContainerLinks containers={stack.orphans} />
        </Alert>
      ) : null}
      <div className="grid gap-4 text-sm md:grid-cols-2">
        <div>
          <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Networks</h3>
          {stack.networks.length ? (
            <ul>
              {stack.networks.map((n) => (
                <li key={n.id}>
                  {n.name}{' '}
                  <span className="text-xs text-slate-500">{n.driver}</span>
                </li>
              ))}
            </ul>
          ) : (
            <span className="text-slate-400">—</span>
          )}
        </div>
        <div>
          <h3 className="mb-1 text-xs font-semibold uppercase text-slate-500">Volumes</h3>
          {stack.volumes.length ? (
            <ul>
              {stack.volumes.map((v) => (
                <li key={v.name}>
                  {v.name} <span className="text-xs text-slate-500">{v.driver}</span>
                </li>
              ))}
            </ul>
          ) : (
            <span className="text-slate-400">—</span>
          )}
        </div>
      </div>
    </div>
  );
}
