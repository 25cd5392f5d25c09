'use client';

import type { LayerState } from './layer-progress';

/** One bar per layer, as `docker pull` draws them. */
export function ProgressBars({ layers, testId }: { layers: LayerState[]; testId: string }) {
  if (!layers.length) return null;
  return (
    <ul className="space-y-1" data-testid={testId}>
      {layers.map((l) => (
        <li key={l.id} className="flex items-center gap-2 text-xs" data-testid="layer-progress" data-layer={l.id} data-percent={l.percent} data-moves={l.moves}>
          <code className="w-28 shrink-0 text-slate-500">{l.id}</code>
          <div className="h-2 flex-1 overflow-hidden rounded bg-slate-200 dark:bg-slate-800">
            <div className="h-full bg-sky-500 transition-[width]" style={{ width: `${l.percent}%` }} />
          </div>
          <span className="w-40 shrink-0 truncate text-slate-600 dark:text-slate-300">{l.status}</span>
        </li>
      ))}
    </ul>
  );
}
