'use client';

/** Matches over time as bars; a bar's title tells its time and count. */
export function Histogram({ start, width, counts }: { start: number; width: number; counts: number[] }) {
  const max = Math.max(1, ...counts);
  if (counts.length === 0 || counts.every((c) => c === 0)) return null;
  return (
    <div className="flex h-16 items-end gap-px rounded border border-slate-200 p-1 dark:border-slate-800" data-testid="logs-histogram" aria-label="Matches over time">
      {counts.map((c, i) => (
        <div
          key={i}
          className="flex-1 bg-sky-500/70"
          style={{ height: `${Math.max(c ? 4 : 0, (c / max) * 100)}%` }}
          title={`${new Date((start + i * width) / 1000).toLocaleString()}: ${c}`}
        />
      ))}
    </div>
  );
}
