'use client';

// Image → Layers: efficiency and waste on top; layer list, file tree and details as three panes;
// a treemap of the selected layer and the history timeline below.
import { useQuery } from '@tanstack/react-query';
import clsx from 'clsx';
import { useEffect, useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Card, PageHeader, Select, TextInput } from '../ui/controls';
import { formatBytes, shortId, plural } from '../ui/format';
import { ComparePicker } from './compare-picker';
import { EfficiencyGauge } from './efficiency-gauge';
import { FileDetails } from './file-details';
import { HistoryTimeline } from './history-timeline';
import { LayerList } from './layer-list';
import { Treemap } from './treemap';
import type { TreeMode, TreeNode, TreeSort } from './types';
import { VirtualTree } from './virtual-tree';
import { DataTable } from '../ui/data-table';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function LayerInspector({ image }: { image: string }) {
  const trpc = useTRPC();
  const analysis = useQuery(trpc.analysis.analyze.queryOptions({ image, options: { topFiles: 20 } }, { staleTime: Infinity }));
  const [layer, setLayer] = useState<number | null>(null);
  const [mode, setMode] = useState<TreeMode>('layer');
  const [sort, setSort] = useState<TreeSort>('name');
  const [filterText, setFilterText] = useState('');
  const [changedOnly, setChangedOnly] = useState(false);
  const [selected, setSelected] = useState<TreeNode | null>(null);
  const filter = useDebounced(filterText.trim(), 250);

  const a = analysis.data;
  const current = layer ?? (a ? a.layers.length - 1 : 0);
  const pickLayer = (i: number) => {
    setLayer(i);
    setSelected(null);
  };

  return (
    <>
      <PageHeader
        title={`Layers of ${image.startsWith('sha256:') ? shortId(image) : image}`}
        subtitle={a ? `Image ${shortId(a.image)} · ${plural(a.layers.length, 'layer')} · ${formatBytes(a.sizeBytes)} in all, ${formatBytes(a.finalBytes)} visible` : 'Analysing the layers…'}
        actions={<ComparePicker image={image} />}
      />
      {analysis.error ? <Alert>{errorMessage(analysis.error)}</Alert> : null}
      {a ? (
        <div className="space-y-4">
          <Card title="Efficiency">
            <div className="grid gap-4 lg:grid-cols-[auto_1fr]">
              <div className="space-y-2">
                <EfficiencyGauge efficiency={a.efficiency} wastedBytes={a.wastedBytes} sizeBytes={a.sizeBytes} />
                <p className="text-xs text-slate-500">
                  User wasted: {(a.userWastedPercent * 100).toFixed(2)}% (layers above the first {a.baseLayers}).
                </p>
              </div>
              <div className="max-h-44 overflow-auto">
                {a.inefficientFiles.length ? (
                  <DataTable
                    rows={a.inefficientFiles}
                    rowKey={(f) => f.path}
                    testId="wasted-table"
                    className="text-xs"
                    compact
                    columns={[
                      { key: 'copies', header: 'Copies', className: 'tabular-nums', cell: (f) => f.count },
                      { key: 'wasted', header: 'Wasted', className: 'tabular-nums', cell: (f) => formatBytes(f.sizeBytes) },
                      { key: 'path', header: 'Path', className: 'break-all font-mono', cell: (f) => f.path },
                    ]}
                  />
                ) : (
                  <p className="text-sm text-slate-500">No wasted space: every file version in the layers is in the final filesystem.</p>
                )}
              </div>
            </div>
          </Card>

          <div className="grid gap-4 xl:grid-cols-[18rem_minmax(0,1fr)_24rem]">
            <Card title="Layers">
              <div className="max-h-[34rem] overflow-auto">
                <LayerList analysis={a} selected={current} onSelect={pickLayer} />
              </div>
            </Card>
            <Card title={`Files of layer ${current}`}>
              <div className="mb-2 flex flex-wrap items-center gap-2">
                <div className="inline-flex overflow-hidden rounded-md border border-slate-300 text-xs dark:border-slate-700" role="group" aria-label="Tree mode">
                  {(
                    [
                      ['layer', 'This layer only'],
                      ['aggregated', 'Aggregated'],
                    ] as const
                  ).map(([m, label]) => (
                    <button
                      key={m}
                      type="button"
                      aria-pressed={mode === m}
                      onClick={() => setMode(m)}
                      className={clsx('px-2 py-1', mode === m ? 'bg-sky-600 text-white' : 'bg-white hover:bg-slate-100 dark:bg-slate-900 dark:hover:bg-slate-800')}
                    >
                      {label}
                    </button>
                  ))}
                </div>
                <Select aria-label="Sort" value={sort} onChange={(e) => setSort(e.target.value as TreeSort)} className="!w-32 !py-1 text-xs">
                  <option value="name">Sort by name</option>
                  <option value="size">Sort by size</option>
                </Select>
                <TextInput aria-label="Filter paths" placeholder="Filter paths…" value={filterText} onChange={(e) => setFilterText(e.target.value)} className="!w-44 !py-1 text-xs" />
                <label className="flex items-center gap-1 text-xs">
                  <input type="checkbox" checked={changedOnly} onChange={(e) => setChangedOnly(e.target.checked)} /> Changed only
                </label>
              </div>
              <VirtualTree q={{ image: a.image, layer: current, mode, sort, filter, changedOnly }} selected={selected?.path ?? null} onSelect={setSelected} />
              <p className="mt-1 text-xs text-slate-500">
                <span className="font-bold text-emerald-600">A</span> added · <span className="font-bold text-amber-600">M</span> modified ·{' '}
                <span className="font-bold text-rose-600">D</span> removed · ↑↓ move, Enter or → open, ← close
              </p>
            </Card>
            <Card title="Details">
              <FileDetails image={a.image} layer={current} node={selected} />
            </Card>
          </div>

          <div className="grid gap-4 xl:grid-cols-2">
            <Card title={`Sizes by directory · layer ${current} (${mode === 'layer' ? 'this layer only' : 'aggregated'})`}>
              <Treemap key={`${current}:${mode}`} image={a.image} layer={current} mode={mode} />
            </Card>
            <Card title="History">
              <div className="max-h-80 overflow-auto">
                <HistoryTimeline analysis={a} selected={current} onSelect={pickLayer} />
              </div>
            </Card>
          </div>
        </div>
      ) : null}
    </>
  );
}
