'use client';

// Two images side by side: their layers aligned from the base (shared ones joined, the divergence
// point marked), then every file that differs between their final filesystems, with sizes.
import { useQuery } from '@tanstack/react-query';
import clsx from 'clsx';
import Link from 'next/link';
import { useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Card, PageHeader, TextInput } from '../ui/controls';
import { formatBytes, shortId, plural } from '../ui/format';
import { markOf, type ImageAnalysis } from './types';
import { DataTable } from '../ui/data-table';

const name = (ref: string) => (ref.startsWith('sha256:') ? shortId(ref) : ref);

function LayerColumn({ analysis, shared, diverge, side }: { analysis: ImageAnalysis | undefined; shared: number; diverge: number | null; side: 'a' | 'b' }) {
  if (!analysis) return <p className="text-sm text-slate-500">Analysing…</p>;
  return (
    <ol className="space-y-1 text-xs" data-testid={`compare-layers-${side}`}>
      {analysis.layers.map((l) => (
        <li key={l.index}>
          {diverge === l.index ? <div className="my-1 border-t-2 border-dashed border-rose-500 text-[10px] font-semibold uppercase text-rose-600">diverges here</div> : null}
          <div className={clsx('rounded border px-2 py-1', l.index < shared ? 'border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-950' : 'border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950')} data-shared={l.index < shared}>
            <span className="font-semibold">#{l.index}</span> {formatBytes(l.sizeBytes)} {l.index < shared ? <span className="text-slate-500">· shared</span> : null}
            <code className="block truncate text-slate-600 dark:text-slate-400" title={l.createdBy}>
              {l.createdBy || l.diffId.slice(7, 19)}
            </code>
          </div>
        </li>
      ))}
    </ol>
  );
}

export function CompareView({ a, b }: { a: string; b: string }) {
  const trpc = useTRPC();
  const [filter, setFilter] = useState('');
  const cmp = useQuery(trpc.analysis.compare.queryOptions({ a, b, options: { filter: filter || undefined, limit: 2_000 } }, { staleTime: Infinity, placeholderData: (prev) => prev }));
  const left = useQuery(trpc.analysis.analyze.queryOptions({ image: a, options: { topFiles: 0 } }, { staleTime: Infinity }));
  const right = useQuery(trpc.analysis.analyze.queryOptions({ image: b, options: { topFiles: 0 } }, { staleTime: Infinity }));
  const c = cmp.data;
  const shared = c?.sharedLayers.length ?? 0;
  const err = cmp.error ?? left.error ?? right.error;
  return (
    <>
      <PageHeader
        title="Compare images"
        subtitle={c ? `${shared} shared layer${shared === 1 ? '' : 's'}; ${c.divergeIndex === null ? 'the layer lists are the same' : `they diverge at layer ${c.divergeIndex}`}.` : 'Comparing…'}
      />
      {err ? <Alert>{errorMessage(err)}</Alert> : null}
      <div className="grid gap-4 md:grid-cols-2" data-testid="compare-split">
        {(
          [
            [a, left.data, 'a'],
            [b, right.data, 'b'],
          ] as const
        ).map(([ref, an, side]) => (
          <Card key={side} title={`${side.toUpperCase()}: ${name(ref)}`} actions={<Link className="text-sm text-sky-700 hover:underline dark:text-sky-400" href={`/layers/${encodeURIComponent(ref)}`}>Layers</Link>}>
            {an ? <p className="mb-2 text-xs text-slate-500">{formatBytes(an.finalBytes)} visible · {plural(an.layers.length, 'layer')} · efficiency {(an.efficiency * 100).toFixed(1)}%</p> : null}
            <LayerColumn analysis={an} shared={shared} diverge={c?.divergeIndex ?? null} side={side} />
          </Card>
        ))}
      </div>
      {c ? (
        <div className="mt-4">
          <Card
            title="Files that differ"
            actions={<TextInput aria-label="Filter paths" placeholder="Filter paths…" value={filter} onChange={(e) => setFilter(e.target.value)} className="!w-52 !py-1 text-xs" />}
          >
            <p className="mb-2 text-xs text-slate-500" data-testid="compare-totals">
              <span className="text-emerald-600">{c.totals.added} added ({formatBytes(c.totals.addedBytes)})</span> ·{' '}
              <span className="text-amber-600">{c.totals.modified} modified ({formatBytes(c.totals.modifiedBytesDelta)} change)</span> ·{' '}
              <span className="text-rose-600">{c.totals.removed} removed ({formatBytes(c.totals.removedBytes)})</span>
            </p>
            {c.entries.length ? (
              <DataTable
                rows={c.entries}
                rowKey={(e) => e.path}
                testId="compare-entries"
                className="text-xs"
                compact
                rowProps={(e) => ({ 'data-testid': `compare-entry-${e.path}`, 'data-change': e.change })}
                rowClassName={(e) => markOf(e.change)?.text}
                columns={[
                  { key: 'a', header: 'in A', align: 'right', className: 'w-20 font-mono tabular-nums', cell: (e) => (e.change === 'added' ? '—' : formatBytes(e.sizeA)) },
                  { key: 'mark', header: '', className: 'w-8 font-mono font-bold', cell: (e) => markOf(e.change)?.letter },
                  {
                    key: 'path',
                    header: 'Path',
                    className: 'break-all font-mono',
                    cell: (e) => (
                      <>
                        {e.path}
                        {e.type === 'dir' ? '/' : ''}
                      </>
                    ),
                  },
                  { key: 'b', header: 'in B', align: 'right', className: 'w-20 pl-3 font-mono tabular-nums', cell: (e) => (e.change === 'removed' ? '—' : formatBytes(e.sizeB)) },
                ]}
              />
            ) : (
              <p className="text-sm text-slate-500">The final filesystems are the same.</p>
            )}
            {c.more ? <p className="mt-2 text-xs text-slate-500">{c.more.toLocaleString()} more not shown: narrow with the filter.</p> : null}
          </Card>
        </div>
      ) : null}
    </>
  );
}
