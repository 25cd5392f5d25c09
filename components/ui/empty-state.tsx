import type { ReactNode } from 'react';

/** An empty list says what to do next. */
export function EmptyState({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div data-testid={testId} className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center dark:border-slate-700 dark:bg-slate-900">
      <p className="font-medium">{title}</p>
      {children ? <div className="mt-2 text-sm text-slate-500 dark:text-slate-400">{children}</div> : null}
    </div>
  );
}
