'use client';

import { useSubscription } from '@trpc/tanstack-react-query';
import clsx from 'clsx';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Select, TextInput } from '../ui/controls';
import { plural } from '../ui/format';
import { AnsiLine } from './ansi-line';
import { LogStore, searchLines, searchRegex } from './log-store';
import { VirtualList } from '../ui/virtual-list';
import { LOG_ROW_CLASS, LOG_ROW_HEIGHT } from './log-row';

const TAILS = [
  ['100', 100],
  ['1,000', 1000],
  ['10,000', 10000],
  ['all', 'all'],
] as const;
const SINCES = [
  ['from the start', 0],
  ['last 5 minutes', 300],
  ['last hour', 3600],
  ['last 24 hours', 86400],
] as const;
/** "2026-01-02T03:04:05.123456789Z " at the start of a line when timestamps are on. */
const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;

export function LogViewer({ containerId, capacity = 1_000_000 }: { containerId: string; capacity?: number }) {
  const trpc = useTRPC();
  const canDownload = useHasRole('operator');
  const store = useRef(new LogStore(capacity)).current;
  const [version, setVersion] = useState(0);
  const [tail, setTail] = useState<number | 'all'>(1000);
  const [since, setSince] = useState(0);
  const [timestamps, setTimestamps] = useState(false);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [matches, setMatches] = useState<number[]>([]);
  const [searching, setSearching] = useState(false);
  const [current, setCurrent] = useState(-1);
  const [sinceAt, setSinceAt] = useState<number | undefined>(undefined);
  const frame = useRef<number | null>(null);
  // Until the server marks the backlog sent, the count reads as loading progress, not a final "0 lines".
  const [loading, setLoading] = useState<{ since: number } | null>({ since: Date.now() });
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!loading) return;
    const t = setInterval(() => setTick((n) => n + 1), 250);
    return () => clearInterval(t);
  }, [loading]);

  // Each option change starts a new stream from the server, into an empty buffer.
  const input = useMemo(() => ({ id: containerId, tail, since: sinceAt, timestamps }), [containerId, tail, sinceAt, timestamps]);
  useEffect(() => {
    store.clear();
    setVersion(store.version);
    setLoading({ since: Date.now() });
    setMatches([]);
    setCurrent(-1);
  }, [input, store]);
  useEffect(() => setSinceAt(since ? Math.floor(Date.now() / 1000) - since : undefined), [since]);

  const sub = useSubscription(
    trpc.containers.logs.subscriptionOptions(input, {
      onData: (batch) => {
        if (batch.caughtUp) setLoading(null);
        if (!batch.streams.length) return;
        store.append(batch.text, batch.streams);
        // One React update per frame, however many batches arrive.
        frame.current ??= requestAnimationFrame(() => {
          frame.current = null;
          setVersion(store.version);
        });
      },
    }),
  );
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);

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
    // A new search runs on a new query, not on every arriving line.
  }, [re, store]); // eslint-disable-line react-hooks/exhaustive-deps

  const go = (delta: number) => {
    if (!matches.length) return;
    setFollow(false);
    setCurrent((c) => (c + delta + matches.length) % matches.length);
  };
  const currentLine = current >= 0 ? (matches[current] ?? null) : null;
  const downloadHref = `/api/containers/${encodeURIComponent(containerId)}/logs/download?timestamps=${timestamps ? 1 : 0}`;

  return (
    <div className="flex h-[calc(100vh-15rem)] min-h-96 flex-col gap-2">
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
        <Select aria-label="Tail" className="w-28" value={String(tail)} onChange={(e) => setTail(e.target.value === 'all' ? 'all' : Number(e.target.value))}>
          {TAILS.map(([label, v]) => (
            <option key={label} value={String(v)}>
              tail {label}
            </option>
          ))}
        </Select>
        <Select aria-label="Since" className="w-40" value={String(since)} onChange={(e) => setSince(Number(e.target.value))}>
          {SINCES.map(([label, v]) => (
            <option key={label} value={String(v)}>
              {label}
            </option>
          ))}
        </Select>
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps
        </label>
        <span className="flex-1" />
        <span className="flex items-center gap-2 text-xs tabular-nums text-slate-500" data-testid="line-count" data-loading={loading ? 'true' : 'false'}>
          {loading ? (
            <>
              <span className="inline-block h-1.5 w-16 overflow-hidden rounded bg-slate-200 dark:bg-slate-800" aria-hidden>
                <span className="block h-1.5 w-1/3 animate-pulse rounded bg-sky-500" />
              </span>
              <span role="status">
                Loading the log… {plural(store.length, 'line')} so far, {((Date.now() - loading.since) / 1000).toFixed(1)} s
              </span>
            </>
          ) : (
            <>
              {plural(store.length, 'line')}
              {store.dropped ? ` (${store.dropped.toLocaleString()} older dropped from view)` : ''}
            </>
          )}
        </span>
        {canDownload ? (
          <a className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800" href={downloadHref} download>
            Download
          </a>
        ) : null}
      </div>
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      <div className="relative min-h-0 flex-1 rounded-md border border-slate-200 bg-slate-950 text-slate-100 dark:border-slate-800">
        {store.length === 0 ? <p className="absolute left-3 top-2 text-xs text-slate-400">{sub.status === 'connecting' ? 'Connecting…' : loading ? 'Reading the log…' : 'No log lines yet. New lines appear here as the container writes them.'}</p> : null}
        <VirtualList
          testId="log-lines"
          className="h-full font-mono text-xs"
          rowClassName={LOG_ROW_CLASS}
          rowHeight={LOG_ROW_HEIGHT}
          count={store.length}
          version={version}
          follow={follow}
          scrollToIndex={currentLine}
          onUserScroll={(atBottom) => setFollow(atBottom)}
          renderRow={(i) => {
            const raw = store.line(i);
            const m = timestamps ? TS.exec(raw) : null;
            const text = m ? raw.slice(m[0].length) : raw;
            return (
              <span className={clsx(store.stream(i) === 2 && 'text-rose-300', currentLine === i && 'bg-slate-800')} data-stream={store.stream(i) === 2 ? 'stderr' : 'stdout'}>
                {m ? <span className="mr-2 text-slate-500">{m[1]}</span> : null}
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
