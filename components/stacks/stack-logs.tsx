'use client';

// The merged logs of a stack's services: one virtualised view over a bounded ring (the container log
// viewer's parts), each line tagged and coloured by its service. The backlog is merged by time; the
// service filter runs on the server (a new stream), search and follow in the page.
import { useSubscription } from '@trpc/tanstack-react-query';
import clsx from 'clsx';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { AnsiLine } from '../logs/ansi-line';
import { searchLines, searchRegex } from '../logs/log-store';
import { VirtualLines } from '../logs/virtual-lines';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Select, TextInput } from '../ui/controls';
import { plural } from '../ui/format';
import { BacklogMerger, MergedLogStore } from './merged-log-store';
import type { StackDetail } from './types';

const COLOURS = ['text-sky-400', 'text-emerald-400', 'text-amber-400', 'text-fuchsia-400', 'text-cyan-400', 'text-lime-400', 'text-orange-400', 'text-violet-400'];
const TAILS = [
  ['100', 100],
  ['1,000', 1000],
  ['10,000', 10000],
  ['all', 'all'],
] as const;
const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;

/** A reload starts a new view (and stream) over the stack's current containers. */
export function StackLogs({ stack, capacity }: { stack: StackDetail; capacity?: number }) {
  const [reload, setReload] = useState(0);
  return <MergedLogView key={reload} stack={stack} capacity={capacity} onReload={() => setReload((n) => n + 1)} />;
}

function MergedLogView({ stack, capacity = 1_000_000, onReload }: { stack: StackDetail; capacity?: number; onReload: () => void }) {
  const trpc = useTRPC();
  const canDownload = useHasRole('operator');
  const store = useRef(new MergedLogStore(capacity)).current;
  const allServices = useMemo(() => [...new Set([...stack.serviceDetails.map((s) => s.name), ...stack.orphans.map((c) => c.service)])].sort(), [stack.serviceDetails, stack.orphans]);
  const [hidden, setHidden] = useState<string[]>([]);
  const [tail, setTail] = useState<number | 'all'>(1000);
  const [timestamps, setTimestamps] = useState(false);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [matches, setMatches] = useState<number[]>([]);
  const [searching, setSearching] = useState(false);
  const [current, setCurrent] = useState(-1);
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(false);
  const frame = useRef<number | null>(null);
  // Keys, not arrays: the stack's data refreshes on every engine event and must not restart the stream.
  const servicesKey = hidden.length ? allServices.filter((s) => !hidden.includes(s)).join(',') : '';
  const containersKey = [...stack.serviceDetails.flatMap((s) => s.containers), ...stack.orphans]
    .filter((c) => !servicesKey || servicesKey.split(',').includes(c.service))
    .map((c) => c.name)
    .sort()
    .join(',');
  // Colours stay with the service whatever the filter: by its place in the full list.
  allServices.forEach((s) => store.serviceIndex(s));

  // The stream follows the containers there were when it started; a scale offers a reload.
  const [streamed, setStreamed] = useState(containersKey);
  const input = useMemo(() => ({ name: stack.name, services: servicesKey ? servicesKey.split(',') : [], tail, timestamps: true, follow: true }), [stack.name, servicesKey, tail]);
  const merger = useMemo(() => {
    store.clear();
    return new BacklogMerger(store, containersKey ? containersKey.split(',') : []);
    // A new stream (input) gets a new merger, expecting the containers of that moment.
  }, [input, store]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    setStreamed(containersKey);
    setLive(merger.live);
    setMatches([]);
    setCurrent(-1);
    setVersion(store.version);
  }, [merger]); // eslint-disable-line react-hooks/exhaustive-deps
  const lastBatch = useRef(Date.now());
  const repaint = () => {
    frame.current ??= requestAnimationFrame(() => {
      frame.current = null;
      setVersion(store.version);
    });
  };
  useEffect(() => {
    // A container that never reports its backlog (removed meanwhile) must not hold the view back.
    const started = Date.now();
    const t = setInterval(() => {
      if (merger.live) {
        setLive(true);
        return clearInterval(t);
      }
      if (Date.now() - started > 1500 && Date.now() - lastBatch.current > 500) {
        merger.flush();
        setLive(true);
        repaint();
      }
    }, 100);
    return () => clearInterval(t);
  }, [merger]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);

  const sub = useSubscription(
    trpc.stacks.logs.subscriptionOptions(input, {
      onData: (b) => {
        lastBatch.current = Date.now();
        const wasLive = merger.live;
        merger.add(b);
        if (!wasLive && merger.live) setLive(true);
        if (merger.live) repaint();
      },
    }),
  );

  const re = useMemo(() => searchRegex(query), [query]);
  useEffect(() => {
    if (!re) {
      setMatches([]);
      setCurrent(-1);
      return;
    }
    let cancelled = false;
    setSearching(true);
    const timer = setTimeout(() => {
      void searchLines(store, re, { isCancelled: () => cancelled }).then((m) => {
        if (cancelled) return;
        setSearching(false);
        setMatches(m);
        setCurrent(m.length ? m.length - 1 : -1);
        if (m.length) setFollow(false);
      });
    }, 150);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
    // A new search runs on a new query (or a new stream), not on every arriving line.
  }, [re, store, merger, live]); // eslint-disable-line react-hooks/exhaustive-deps

  const go = (delta: number) => {
    if (!matches.length) return;
    setFollow(false);
    setCurrent((c) => (c + delta + matches.length) % matches.length);
  };
  const currentLine = current >= 0 ? (matches[current] ?? null) : null;

  const download = () => {
    const width = Math.max(...store.services.map((s) => s.length));
    const parts: string[] = [];
    for (let i = 0; i < store.length; i++) parts.push(`${store.services[store.service(i)]!.padEnd(width)} | ${store.line(i)}\n`);
    const url = URL.createObjectURL(new Blob(parts, { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${stack.name}-logs.txt`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <div className="flex h-[calc(100vh-18rem)] min-h-96 flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2" data-testid="log-services">
        {allServices.map((s) => {
          const on = !hidden.includes(s);
          return (
            <label key={s} className={clsx('flex cursor-pointer items-center gap-1 rounded border px-2 py-0.5 text-xs', on ? 'border-slate-400 dark:border-slate-600' : 'border-slate-200 opacity-50 dark:border-slate-800')}>
              <input
                type="checkbox"
                aria-label={`Show ${s}`}
                checked={on}
                onChange={() => setHidden((h) => (on ? (h.length + 1 >= allServices.length ? h : [...h, s]) : h.filter((x) => x !== s)))}
              />
              <span className={clsx('font-mono font-semibold', COLOURS[store.serviceIndex(s) % COLOURS.length]!.replace('-400', '-600'))}>{s}</span>
            </label>
          );
        })}
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <TextInput
          data-search
          aria-label="Search logs"
          placeholder="Search logs  ( / )"
          className="w-64"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') go(e.shiftKey ? -1 : 1);
          }}
        />
        <span data-testid="match-count" className="w-28 text-xs tabular-nums text-slate-500">
          {query ? (searching ? 'searching…' : matches.length ? `${current + 1} of ${matches.length}` : 'no matches') : ''}
        </span>
        <Button variant="secondary" aria-label="Previous match" disabled={!matches.length} onClick={() => go(-1)}>
          ↑
        </Button>
        <Button variant="secondary" aria-label="Next match" disabled={!matches.length} onClick={() => go(1)}>
          ↓
        </Button>
        <Select aria-label="Tail" className="w-32" value={String(tail)} onChange={(e) => setTail(e.target.value === 'all' ? 'all' : Number(e.target.value))}>
          {TAILS.map(([label, v]) => (
            <option key={label} value={String(v)}>
              tail {label} each
            </option>
          ))}
        </Select>
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps
        </label>
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <span className="flex-1" />
        <span className="text-xs tabular-nums text-slate-500" data-testid="line-count" data-lines={store.length} data-live={live ? 'true' : 'false'}>
          {live ? plural(store.length, 'line') : 'Loading the logs…'}
          {store.dropped ? ` (${store.dropped.toLocaleString()} older dropped from view)` : ''}
        </span>
        {canDownload ? (
          <Button variant="secondary" disabled={!store.length} onClick={download}>
            Download
          </Button>
        ) : null}
      </div>
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      {streamed !== containersKey ? (
        <Alert kind="info">
          The stack&apos;s containers changed since these logs opened.{' '}
          <button type="button" className="font-medium underline" onClick={onReload}>
            Reload the logs
          </button>
        </Alert>
      ) : null}
      <div className="relative min-h-0 flex-1 rounded-md border border-slate-200 bg-slate-950 text-slate-100 dark:border-slate-800" data-version={version}>
        {store.length === 0 ? <p className="absolute left-3 top-2 text-xs text-slate-400">{live ? 'No log lines yet. New lines appear here as the services write them.' : 'Reading the logs…'}</p> : null}
        <VirtualLines
          testId="stack-log-lines"
          count={store.length}
          version={version}
          follow={follow}
          scrollToIndex={currentLine}
          onUserScroll={(atBottom) => setFollow(atBottom)}
          renderRow={(i) => {
            const svc = store.service(i);
            const raw = store.line(i);
            const m = TS.exec(raw);
            const text = m ? raw.slice(m[0].length) : raw;
            return (
              <span className={clsx(store.stream(i) === 2 && 'text-rose-300', currentLine === i && 'bg-slate-800')} data-service={store.services[svc]}>
                <span className={clsx('mr-2 inline-block min-w-24 font-semibold', COLOURS[svc % COLOURS.length])}>{store.services[svc]}</span>
                {timestamps && m ? <span className="mr-2 text-slate-500">{m[1]}</span> : null}
                <AnsiLine text={text} re={re} current={currentLine === i} />
              </span>
            );
          }}
        />
        {!follow ? (
          <Button className="absolute bottom-3 right-5 shadow-lg" onClick={() => setFollow(true)}>
            Resume follow ↓
          </Button>
        ) : null}
      </div>
    </div>
  );
}
