'use client';

import clsx from 'clsx';
import type { StackPlan } from './types';
import { DataTable } from '../ui/data-table';

const ACTION: Record<StackPlan['services'][number]['action'], string> = {
  create: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200',
  recreate: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200',
  scale: 'bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-200',
  start: 'bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-200',
  unchanged: 'bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300',
};

/** What a deploy of the edited files would change, before it is applied. */
export function PlanView({ plan }: { plan: StackPlan }) {
  const changes = plan.services.filter((s) => s.action !== 'unchanged').length + plan.orphans.length;
  return (
    <div className="space-y-2" data-testid="stack-plan">
      <p className="text-sm font-medium" data-testid="plan-summary">
        {changes ? `${changes} change${changes === 1 ? '' : 's'}` : 'Nothing changes: every service is up to date.'}
      </p>
      <DataTable
        rows={[
          ...plan.services.map((s) => ({
            key: s.name,
            service: s.name,
            action: s.action,
            badge: <span className={clsx('rounded px-1.5 text-xs', ACTION[s.action])}>{s.action}</span>,
            replicas: `${s.current} → ${s.desired}`,
            why: [s.create ? `create ${s.create}` : '', s.recreate.length ? `recreate ${s.recreate.join(', ')}` : '', s.remove.length ? `remove ${s.remove.join(', ')}` : '', ...s.reasons]
              .filter(Boolean)
              .join('; '),
          })),
          ...plan.orphans.map((o) => ({
            key: o.id,
            service: o.service,
            action: 'orphan',
            badge: <span className="rounded bg-rose-100 px-1.5 text-xs text-rose-800 dark:bg-rose-950 dark:text-rose-200">orphan</span>,
            replicas: '',
            why: `${o.name}: no longer in the files; removed only when you ask`,
          })),
        ]}
        rowKey={(r) => r.key}
        compact
        rowProps={(r) => ({ 'data-testid': 'plan-service', 'data-service': r.service, 'data-action': r.action })}
        columns={[
          { key: 'service', header: 'Service', className: 'font-medium', cell: (r) => r.service },
          { key: 'action', header: 'Action', cell: (r) => r.badge },
          { key: 'replicas', header: 'Replicas', className: 'tabular-nums', cell: (r) => r.replicas },
          { key: 'why', header: 'Why', className: 'text-xs text-slate-500', cell: (r) => r.why },
        ]}
      />
      {[...plan.networks.filter((n) => !n.exists && !n.external).map((n) => `network ${n.name}`), ...plan.volumes.filter((v) => !v.exists && !v.external).map((v) => `volume ${v.name}`)].length ? (
        <p className="text-xs text-slate-500">
          Created: {[...plan.networks.filter((n) => !n.exists && !n.external).map((n) => `network ${n.name}`), ...plan.volumes.filter((v) => !v.exists && !v.external).map((v) => `volume ${v.name}`)].join(', ')}
        </p>
      ) : null}
      {plan.warnings.length ? (
        <ul className="list-disc pl-4 text-xs text-amber-700 dark:text-amber-300">
          {plan.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
