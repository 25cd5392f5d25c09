import clsx from 'clsx';

/** A unified diff with added/removed lines coloured. */
export function DiffView({ unified, testId = 'file-diff' }: { unified: string; testId?: string }) {
  if (!unified) return <p className="text-sm text-slate-500">No differences in the text.</p>;
  return (
    <pre data-testid={testId} className="max-h-96 overflow-auto rounded-md bg-slate-50 p-2 text-xs leading-5 dark:bg-slate-950">
      {unified.split('\n').map((line, i) => (
        <div
          key={i}
          className={clsx(
            line.startsWith('+') && !line.startsWith('+++') && 'bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200',
            line.startsWith('-') && !line.startsWith('---') && 'bg-rose-100 text-rose-900 dark:bg-rose-950 dark:text-rose-200',
            line.startsWith('@@') && 'text-sky-700 dark:text-sky-400',
          )}
        >
          {line || ' '}
        </div>
      ))}
    </pre>
  );
}
