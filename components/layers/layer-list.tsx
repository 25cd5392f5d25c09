import clsx from 'clsx';
import { formatBytes } from '../ui/format';
import type { ImageAnalysis } from './types';

/** Layers from the base up: size bar, command, A/M/D counts, and a marker on the most wasteful one. */
export function LayerList({ analysis, selected, onSelect }: { analysis: ImageAnalysis; selected: number; onSelect: (i: number) => void }) {
  const max = Math.max(1, ...analysis.layers.map((l) => l.sizeBytes));
  return (
    <ol className="space-y-1" data-testid="layer-list">
      {analysis.layers.map((l) => (
        <li key={l.index}>
          <button
            type="button"
            data-testid={`layer-${l.index}`}
            aria-pressed={selected === l.index}
            onClick={() => onSelect(l.index)}
            className={clsx(
              'w-full rounded-md border px-2 py-1.5 text-left text-xs',
              selected === l.index ? 'border-sky-500 bg-sky-50 dark:bg-sky-950' : 'border-transparent hover:bg-slate-100 dark:hover:bg-slate-800',
            )}
          >
            <div className="flex items-center gap-2">
              <span className="font-semibold">#{l.index}</span>
              <span className="tabular-nums">{formatBytes(l.sizeBytes)}</span>
              {analysis.mostWastefulLayer === l.index ? (
                <span data-testid="most-wasteful" title={`wastes ${formatBytes(l.wastedBytes)}`} className="rounded bg-rose-100 px-1 text-[10px] font-semibold text-rose-700 dark:bg-rose-950 dark:text-rose-300">
                  most waste
                </span>
              ) : null}
              <span className="ml-auto space-x-1 font-mono">
                <span className="text-emerald-600">+{l.changes.added}</span>
                <span className="text-amber-600">~{l.changes.modified}</span>
                <span className="text-rose-600">−{l.changes.removed}</span>
              </span>
            </div>
            <div className="mt-1 h-1.5 rounded bg-slate-200 dark:bg-slate-700">
              <div className="h-1.5 rounded bg-sky-500" style={{ width: `${Math.max(1, (l.sizeBytes / max) * 100)}%` }} />
            </div>
            <code className="mt-1 line-clamp-2 block break-all text-slate-600 dark:text-slate-400" title={l.createdBy}>
              {l.createdBy || '(no command recorded)'}
            </code>
          </button>
        </li>
      ))}
    </ol>
  );
}
