'use client';

export interface Hit {
  id: number;
  containerId: string;
  container: string;
  stack: string | null;
  removed: boolean;
  stream: 'stdout' | 'stderr';
  t: number;
  time: string;
  line: string;
}

/** One result row: time, container (removed ones marked), stream, the line. */
export function LogLine({ hit, onOpen, highlight }: { hit: Hit; onOpen?: (h: Hit) => void; highlight?: boolean }) {
  return (
    <div
      role={onOpen ? 'button' : undefined}
      tabIndex={onOpen ? 0 : undefined}
      data-testid="log-hit"
      onClick={() => onOpen?.(hit)}
      onKeyDown={(e) => e.key === 'Enter' && onOpen?.(hit)}
      className={`flex gap-3 border-b border-slate-100 px-2 py-0.5 font-mono text-xs dark:border-slate-800 ${onOpen ? 'cursor-pointer hover:bg-slate-100 dark:hover:bg-slate-800' : ''} ${highlight ? 'bg-amber-100 dark:bg-amber-900/40' : ''}`}
    >
      <span className="shrink-0 text-slate-500">{hit.time.slice(0, 23).replace('T', ' ')}</span>
      <span className="w-32 shrink-0 truncate text-sky-700 dark:text-sky-300" title={hit.containerId}>
        {hit.container}
        {hit.removed ? <span className="ml-1 text-slate-400">(removed)</span> : null}
      </span>
      <span className={`w-10 shrink-0 ${hit.stream === 'stderr' ? 'text-red-600' : 'text-slate-400'}`}>{hit.stream === 'stderr' ? 'err' : 'out'}</span>
      <span className="min-w-0 whitespace-pre-wrap break-all">{hit.line}</span>
    </div>
  );
}
