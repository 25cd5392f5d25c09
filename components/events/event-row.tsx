import type { RouterOutputs, Yield } from '../trpc/types';

export type EngineEvent = Yield<RouterOutputs['events']['stream']>;

const ACTION_COLORS: Record<string, string> = {
  create: 'text-sky-600',
  start: 'text-emerald-600',
  die: 'text-rose-600',
  kill: 'text-rose-600',
  destroy: 'text-rose-700',
  stop: 'text-amber-600',
  oom: 'text-rose-700',
};

export function eventTarget(e: EngineEvent): string {
  return e.Actor.Attributes?.['name'] ?? e.Actor.ID.slice(0, 12);
}

export function EventRow({ e }: { e: EngineEvent }) {
  const action = e.Action.split(':')[0]!;
  const extra = e.Action === 'die' && e.Actor.Attributes?.['exitCode'] !== undefined ? ` (exit ${e.Actor.Attributes['exitCode']})` : '';
  return (
    <tr className="border-b border-slate-100 dark:border-slate-800/60" data-testid="event-row" data-type={e.Type} data-action={action} data-target={eventTarget(e)}>
      <td className="py-1.5 pr-3 tabular-nums text-slate-500">{new Date(e.timeNano / 1e6).toLocaleTimeString()}</td>
      <td className="py-1.5 pr-3">{e.Type}</td>
      <td className={`py-1.5 pr-3 font-medium ${ACTION_COLORS[action] ?? ''}`}>
        {e.Action}
        {extra}
      </td>
      <td className="py-1.5 pr-3 [overflow-wrap:anywhere]">{eventTarget(e)}</td>
      <td className="hidden py-1.5 text-xs text-slate-500 [overflow-wrap:anywhere] sm:table-cell">{e.Actor.Attributes?.['image'] ?? ''}</td>
    </tr>
  );
}
