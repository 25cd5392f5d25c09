import clsx from 'clsx';
import { formatBytes } from '../ui/format';
import type { ImageAnalysis } from './types';

/** The image config's history, oldest first, each entry joined to the layer it made (or "no layer"). */
export function HistoryTimeline({ analysis, selected, onSelect }: { analysis: ImageAnalysis; selected: number; onSelect: (layer: number) => void }) {
  return (
    <ol className="relative ml-2 border-l border-slate-300 dark:border-slate-700" data-testid="history-timeline">
      {analysis.history.map((h, i) => {
        const layer = h.layerIndex === null ? null : analysis.layers[h.layerIndex];
        return (
          <li key={i} className="mb-3 ml-4" data-testid={`history-${i}`} data-layer={h.layerIndex ?? ''}>
            <span
              className={clsx(
                'absolute -left-1.5 mt-1 h-3 w-3 rounded-full border-2 border-white dark:border-slate-900',
                h.emptyLayer ? 'bg-slate-300 dark:bg-slate-600' : h.layerIndex === selected ? 'bg-sky-600' : 'bg-sky-300',
              )}
            />
            <div className="flex flex-wrap items-baseline gap-2 text-xs text-slate-500">
              <time>{h.created ? new Date(h.created).toLocaleString() : 'no date'}</time>
              {layer ? (
                <button type="button" className="font-medium text-sky-700 hover:underline dark:text-sky-400" onClick={() => onSelect(layer.index)}>
                  layer {layer.index} · {formatBytes(layer.sizeBytes)}
                </button>
              ) : (
                <span className="italic">no layer (metadata only)</span>
              )}
            </div>
            <code className="block break-all text-xs">{h.createdBy || '(no command recorded)'}</code>
            {h.comment ? <p className="text-xs text-slate-500">{h.comment}</p> : null}
          </li>
        );
      })}
    </ol>
  );
}
