'use client';

import { useSubscription } from '@trpc/tanstack-react-query';
import { useMemo, useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Select, TextInput } from '../ui/controls';
import { EmptyState } from '../ui/empty-state';
import { plural } from '../ui/format';
import { EventsTable, eventTarget, type EngineEvent } from './event-row';

const TYPES = ['container', 'image', 'volume', 'network', 'daemon'] as const;
const KEEP = 2000;

/** The engine's live event stream, newest first; type and action filters run on the engine. */
export function EventsView() {
  const trpc = useTRPC();
  const [type, setType] = useState('');
  const [action, setAction] = useState('');
  const [text, setText] = useState('');
  const [paused, setPaused] = useState(false);
  const [events, setEvents] = useState<EngineEvent[]>([]);
  const input = useMemo(() => ({ sinceSeconds: 3600, types: type ? [type] : [], actions: action ? [action] : [] }), [type, action]);
  const [inputKey, setInputKey] = useState('');
  const key = JSON.stringify(input);
  if (key !== inputKey) {
    setInputKey(key);
    setEvents([]);
  }
  const sub = useSubscription(
    trpc.events.stream.subscriptionOptions(input, {
      onData: (e) => {
        if (!paused) setEvents((list) => [e, ...list].slice(0, KEEP));
      },
    }),
  );
  const q = text.trim().toLowerCase();
  const shown = q ? events.filter((e) => eventTarget(e).toLowerCase().includes(q) || e.Actor.ID.startsWith(q)) : events;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <Select aria-label="Type" className="w-40" value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">All types</option>
          {TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </Select>
        <TextInput aria-label="Action" placeholder="Action, e.g. start, die" className="w-48" value={action} onChange={(e) => setAction(e.target.value.trim().toLowerCase())} />
        <TextInput data-search aria-label="Search events" placeholder="Name or id  ( / )" className="w-full sm:w-56" value={text} onChange={(e) => setText(e.target.value)} />
        <span className="flex-1" />
        <span className="text-xs text-slate-500" data-testid="events-status">
          {sub.status === 'pending' ? 'live' : sub.status}
        </span>
        <Button variant="secondary" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </Button>
      </div>
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      {shown.length === 0 && events.length > 0 ? (
        <EmptyState title="Nothing matches" testId="events-no-match">
          {plural(events.length, 'event')} arrived, none with “{text.trim()}” in its name or id. Clear the search to see them.
        </EmptyState>
      ) : shown.length === 0 ? (
        <EmptyState title="No events yet" testId="events-empty">
          Events from the last hour and new ones appear here as they happen: start a container to see some.
        </EmptyState>
      ) : (
        <EventsTable events={shown} testId="events-table" />
      )}
    </div>
  );
}
