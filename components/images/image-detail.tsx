'use client';

import { useQuery } from '@tanstack/react-query';
import clsx from 'clsx';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import type { ReactNode } from 'react';
import { useHasRole } from '../auth/use-role';
import { errorMessage, useTRPC } from '../trpc/react';
import type { RouterOutputs } from '../trpc/types';
import { Alert, Card, PageHeader } from '../ui/controls';
import { formatBytes, shortId, timeAgo, plural } from '../ui/format';
import { DataTable } from '../ui/data-table';

type Inspect = RouterOutputs['images']['inspect'];
type History = RouterOutputs['images']['history'];
const TABS = ['config', 'history', 'layers'] as const;

function Row({ name, children }: { name: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-2 border-b border-slate-100 py-1.5 text-sm dark:border-slate-800">
      <dt className="font-medium text-slate-500">{name}</dt>
      <dd className="min-w-0 break-words font-mono text-xs">{children}</dd>
    </div>
  );
}

const none = <span className="text-slate-400">—</span>;
const list = (xs: string[] | null | undefined) => (xs?.length ? xs.map((x) => <div key={x}>{x}</div>) : none);
const keys = (o: Record<string, unknown> | null | undefined) => list(o ? Object.keys(o) : []);

function ConfigTab({ image }: { image: Inspect }) {
  // Config is null for an image that has none (moby's *container.Config): every row then shows a dash.
  const c: Partial<NonNullable<Inspect['Config']>> = image.Config ?? {};
  const hc = c.Healthcheck;
  return (
    <dl data-testid="image-config">
      <Row name="Env">{list(c.Env)}</Row>
      <Row name="Cmd">{c.Cmd?.length ? JSON.stringify(c.Cmd) : none}</Row>
      <Row name="Entrypoint">{c.Entrypoint?.length ? JSON.stringify(c.Entrypoint) : none}</Row>
      <Row name="ExposedPorts">{keys(c.ExposedPorts)}</Row>
      <Row name="Volumes">{keys(c.Volumes)}</Row>
      <Row name="Labels">{c.Labels && Object.keys(c.Labels).length ? Object.entries(c.Labels).map(([k, v]) => <div key={k}>{`${k}=${v}`}</div>) : none}</Row>
      <Row name="Healthcheck">
        {hc?.Test?.length ? `${JSON.stringify(hc.Test)} every ${(hc.Interval ?? 0) / 1e9 || 30}s, timeout ${(hc.Timeout ?? 0) / 1e9 || 30}s, retries ${hc.Retries || 3}` : none}
      </Row>
      <Row name="WorkingDir">{c.WorkingDir || none}</Row>
      <Row name="User">{c.User || none}</Row>
    </dl>
  );
}

function HistoryTab({ history }: { history: History }) {
  return (
    <DataTable
      rows={history.map((h, n) => ({ ...h, n }))}
      rowKey={(h) => `${h.Id}-${h.n}`}
      testId="image-history"
      alignTop
      rowProps={(h) => ({ 'data-empty': String(h.Size === 0) })}
      columns={[
        {
          key: 'createdBy',
          header: 'Created by',
          className: 'max-w-xl font-mono text-xs break-all',
          cell: (h) => (
            <>
              {h.CreatedBy.replace(/^\/bin\/sh -c #\(nop\)\s*/, '')}
              {h.Size === 0 ? <span className="ml-2 rounded bg-slate-200 px-1.5 text-[10px] uppercase text-slate-600 dark:bg-slate-800 dark:text-slate-300">empty layer</span> : null}
            </>
          ),
        },
        { key: 'size', header: 'Size', cell: (h) => formatBytes(h.Size) },
        { key: 'created', header: 'Created', cell: (h) => timeAgo(h.Created) },
      ]}
    />
  );
}

/** Layer sizes as horizontal bars, oldest at the top; the history's non-empty steps are the layers. */
function LayersTab({ image, history }: { image: Inspect; history: History }) {
  const steps = [...history].reverse().filter((h) => h.Size > 0);
  const digests = image.RootFS.Layers ?? []; // omitempty: absent for an image without layers
  const max = Math.max(1, ...steps.map((s) => s.Size));
  return (
    <div className="space-y-2" data-testid="image-layers">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm text-slate-500">
          {plural(digests.length, 'layer')}, {formatBytes(image.Size)} in all.
        </p>
        <Link href={`/layers/${encodeURIComponent(image.RepoTags?.[0] ?? image.Id)}`} className="text-sm font-medium text-sky-700 hover:underline dark:text-sky-400">
          Open in the layer inspector →
        </Link>
      </div>
      {steps.map((s, n) => (
        <div key={n} className="grid grid-cols-[5rem_1fr_5rem] items-center gap-2 text-xs sm:grid-cols-[8rem_1fr_6rem]" data-testid="layer-bar">
          <code className="truncate text-slate-500" title={digests[n] ?? ''}>
            {digests.length === steps.length ? shortId(digests[n]!) : `#${n + 1}`}
          </code>
          <div className="min-w-0 space-y-0.5">
            {/* The step that made the layer, so a bar says what it is. */}
            <div className="truncate font-mono text-slate-600 dark:text-slate-300" data-testid="layer-bar-label" title={s.CreatedBy}>
              {s.CreatedBy.replace(/^\/bin\/sh -c #\(nop\)\s*/, '').replace(/^\/bin\/sh -c /, 'RUN ') || '(no history)'}
            </div>
            <div className="h-3 rounded bg-slate-100 dark:bg-slate-800">
              <div className="h-3 rounded bg-sky-500" style={{ width: `${Math.max(0.5, (s.Size / max) * 100)}%` }} />
            </div>
          </div>
          <span className="text-right">{formatBytes(s.Size)}</span>
        </div>
      ))}
    </div>
  );
}

export function ImageDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const canOperate = useHasRole('operator');
  const tab = (TABS as readonly string[]).includes(params.get('tab') ?? '') ? (params.get('tab') as (typeof TABS)[number]) : 'config';
  const inspect = useQuery(trpc.images.inspect.queryOptions({ ref: id }));
  const history = useQuery(trpc.images.history.queryOptions({ ref: id }));
  const image = inspect.data;
  const title = image?.RepoTags?.[0] ?? shortId(id);
  return (
    <>
      <PageHeader
        title={title}
        subtitle={image ? `${shortId(image.Id)} · ${formatBytes(image.Size)} · created ${timeAgo(Date.parse(image.Created) / 1000)}` : undefined}
        actions={
          image ? (
            <div className="flex flex-wrap gap-2">
              <Link href={`/layers/${encodeURIComponent(image.RepoTags?.[0] ?? image.Id)}`} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
                Layers
              </Link>
              {canOperate ? (
                <>
              <Link href={`/containers/new?image=${encodeURIComponent(image.RepoTags?.[0] ?? image.Id)}`} className="rounded-md bg-sky-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-700">
                Run
              </Link>
              <a href={`/api/images/${encodeURIComponent(image.RepoTags?.[0] ?? image.Id)}/save`} download className="rounded-md border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
                Save
              </a>
                </>
              ) : null}
            </div>
          ) : null
        }
      />
      {inspect.error ? <Alert>{errorMessage(inspect.error)}</Alert> : null}
      <div className="mb-4 flex gap-1 border-b border-slate-200 dark:border-slate-800" role="tablist">
        {TABS.map((t) => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            className={clsx('px-3 py-2 text-sm capitalize', tab === t ? 'border-b-2 border-sky-600 font-medium' : 'text-slate-500')}
            onClick={() => router.replace(`?tab=${t}`)}
          >
            {t}
          </button>
        ))}
      </div>
      <Card>
        {!image || !history.data ? (
          <p className="text-sm text-slate-500">Loading…</p>
        ) : tab === 'config' ? (
          <ConfigTab image={image} />
        ) : tab === 'history' ? (
          <HistoryTab history={history.data} />
        ) : (
          <LayersTab image={image} history={history.data} />
        )}
      </Card>
    </>
  );
}
