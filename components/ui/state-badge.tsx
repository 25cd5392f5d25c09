import clsx from 'clsx';

const COLORS: Record<string, string> = {
  running: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  paused: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
  restarting: 'bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300',
  created: 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  exited: 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  dead: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
  removing: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
};
const HEALTH: Record<string, string> = {
  healthy: 'bg-emerald-600 text-white',
  unhealthy: 'bg-rose-600 text-white',
  starting: 'bg-amber-500 text-white',
};

/** Docker's Status text carries health as "(healthy)", "(unhealthy)" or "(health: starting)". */
export function healthOf(status: string | undefined): string | null {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status ?? '');
  return m ? (m[1] === 'health: starting' ? 'starting' : m[1]!) : null;
}

export function StateBadge({ state, health }: { state: string; health?: string | null }) {
  return (
    <span className="inline-flex items-center gap-1">
      <span data-testid="state-badge" className={clsx('rounded-full px-2 py-0.5 text-xs font-medium', COLORS[state] ?? COLORS.created)}>
        {state}
      </span>
      {health ? <span className={clsx('rounded-full px-2 py-0.5 text-xs font-medium', HEALTH[health] ?? 'bg-slate-500 text-white')}>{health}</span> : null}
    </span>
  );
}
