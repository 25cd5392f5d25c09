import { DataTable, type Column } from '../ui/data-table';
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

function eventKey(e: EngineEvent): string {
  return `${e.timeNano}-${e.Actor.ID}-${e.Action}`;
}

const columns: readonly Column<EngineEvent>[] = [
  { key: 'time', header: 'Time', className: 'tabular-nums text-slate-500', cell: (e) => new Date(e.timeNano / 1e6).toLocaleTimeString() },
  { key: 'type', header: 'Type', cell: (e) => e.Type },
  {
    key: 'action',
    header: 'Action',
    cell: (e) => {
      const action = e.Action.split(':')[0]!;
      const extra = e.Action === 'die' && e.Actor.Attributes?.['exitCode'] !== undefined ? ` (exit ${e.Actor.Attributes['exitCode']})` : '';
      return (
        <span className={`font-medium ${ACTION_COLORS[action] ?? ''}`}>
          {e.Action}
          {extra}
        </span>
      );
    },
  },
  { key: 'name', header: 'Name', className: '[overflow-wrap:anywhere]', cell: eventTarget },
  { key: 'image', header: 'Image', hideBelow: 'sm', className: 'text-xs text-slate-500 [overflow-wrap:anywhere]', cell: (e) => e.Actor.Attributes?.['image'] ?? '' },
];

/** Engine events, newest first as given; `noHeader` for the overview's short feed. */
export function EventsTable({ events, testId, noHeader }: { events: readonly EngineEvent[]; testId: string; noHeader?: boolean }) {
  return (
    <DataTable
      rows={events}
      columns={columns}
      rowKey={eventKey}
      testId={testId}
      noHeader={noHeader}
      compact
      rowProps={(e) => ({ 'data-testid': 'event-row', 'data-type': e.Type, 'data-action': e.Action.split(':')[0], 'data-target': eventTarget(e) })}
    />
  );
}
