'use client';

// The merged logs of a stack's services, each line tagged and coloured by its service. The view opens
// on the newest page (read backwards from the end on the server), goes live from that page's time on
// (new replicas are attached by the server), and puts older pages in front as the user scrolls up, so
// a stack holding a million lines opens as fast as one holding a hundred. The service filter runs on the
// server (a new view); search and follow in the page.
import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import clsx from 'clsx';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { AnsiLine } from '../logs/ansi-line';
import { LOG_ROW_CLASS, LOG_ROW_HEIGHT } from '../logs/log-row';
import { searchLines, searchRegex } from '../logs/log-store';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, TextInput } from '../ui/controls';
import { plural } from '../ui/format';
import { VirtualList } from '../ui/virtual-list';
import { MergedLogStore } from './merged-log-store';
import type { StackDetail } from './types';

const COLOURS = ['text-sky-400', 'text-emerald-400', 'text-amber-400', 'text-fuchsia-400', 'text-cyan-400', 'text-lime-400', 'text-orange-400', 'text-violet-400'];
/** The first page (what opening shows), and each older page after it. */
const FIRST_PAGE = 2_000;
const OLDER_PAGE = 20_000;
/** Scrolled this close to the top, the next older page loads. */
const NEAR_TOP = 200;
const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;

/** A new view (and stream) per service filter. */
export function StackLogs({ stack, capacity }: { stack: StackDetail; capacity?: number }) {
  const allServices = useMemo(() => [...new Set([...stack.serviceDetails.map((s) => s.name), ...stack.orphans.map((c) => c.service)])].sort(), [stack.serviceDetails, stack.orphans]);
  const [hidden, setHidden] = useState<string[]>([]);
  const shown = hidden.length ? allServices.filter((s) => !hidden.includes(s)) : [];
  const key = shown.join(',');
  return <MergedLogView key={key} name={stack.name} services={shown} allServices={allServices} hidden={hidden} setHidden={setHidden} capacity={capacity} />;
}

interface ViewProps {
  name: string;
  /** The services shown (empty: all). */
  services: string[];
  allServices: string[];
  hidden: string[];
  setHidden: (f: (h: string[]) => string[]) => void;
  capacity?: number;
}

function MergedLogView({ name, services, allServices, hidden, setHidden, capacity = 1_000_000 }: ViewProps) {
  const trpc = useTRPC();
  const client = useQueryClient();
  const canDownload = useHasRole('operator');
  const store = useRef(new MergedLogStore(capacity)).current;
  const [timestamps, setTimestamps] = useState(false);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [matches, setMatches] = useState<number[]>([]);
  const [searching, setSearching] = useState(false);
  const [current, setCurrent] = useState(-1);
  const [version, setVersion] = useState(0);
  /** The first page's time: the live stream goes on from there (null until the first page is in). */
  const [since, setSince] = useState<string | null>(null);
  const [pageError, setPageError] = useState<string | null>(null);
  const [older, setOlder] = useState<{ cursor: string | null; more: boolean; loading: boolean }>({ cursor: null, more: false, loading: true });
  const olderRef = useRef(older);
  olderRef.current = older;
  const frame = useRef<number | null>(null);
  // Colours stay with the service whatever the filter: by its place in the full list.
  allServices.forEach((s) => store.serviceIndex(s));

  const repaint = useCallback(() => {
    frame.current ??= requestAnimationFrame(() => {
      frame.current = null;
      setVersion(store.version);
    });
  }, [store]);
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);

  const page = useCallback(
    (before: string | undefined, limit: number) => client.fetchQuery({ ...trpc.stacks.logPage.queryOptions({ name, services, before, limit }), staleTime: 0, gcTime: 0 }),
    [client, trpc, name, services.join(',')], // eslint-disable-line react-hooks/exhaustive-deps
  );

  // Opening: the newest page, then live from its time on.
  useEffect(() => {
    let cancelled = false;
    page(undefined, FIRST_PAGE).then(
      (p) => {
        if (cancelled) return;
        store.prepend(p);
        setOlder({ cursor: p.cursor, more: p.more, loading: false });
        setSince(p.until);
        setVersion(store.version);
      },
      (err: unknown) => {
        if (cancelled) return;
        setPageError(errorMessage(err));
        setOlder((o) => ({ ...o, loading: false }));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [page, store]);

  /** Puts the next older page in front; resolves false when there is nothing more to load. */
  const loadOlder = useCallback(async (): Promise<boolean> => {
    const o = olderRef.current;
    if (o.loading || !o.more || !o.cursor || store.full) return false;
    setOlder((x) => (olderRef.current = { ...x, loading: true }));
    try {
      const p = await page(o.cursor, OLDER_PAGE);
      store.prepend(p);
      setOlder((olderRef.current = { cursor: p.cursor ?? o.cursor, more: p.more && !store.full, loading: false }));
      repaint();
      return p.more && !store.full;
    } catch (err) {
      setPageError(errorMessage(err));
      setOlder((olderRef.current = { ...o, loading: false }));
      return false;
    }
  }, [page, store, repaint]);

  const [loadingAll, setLoadingAll] = useState(false);
  const loadAll = useCallback(async () => {
    setLoadingAll(true);
    try {
      while (await loadOlder());
    } finally {
      setLoadingAll(false);
    }
  }, [loadOlder]);

  const live = since !== null;
  // Stable while the view lives: the stack's data refreshes on every engine event and must not restart the stream.
  const input = useMemo(() => ({ name, services, tail: 'all' as const, timestamps: true, follow: true, since: since ?? undefined }), [name, since]); // eslint-disable-line react-hooks/exhaustive-deps
  const sub = useSubscription(
    trpc.stacks.logs.subscriptionOptions(input, {
        enabled: live,
        onData: (b) => {
          if (!b.streams.length) return;
          store.append(b.service, b.text, b.streams);
          repaint();
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
    // A new search runs on a new query, once the first page is in and when older pages come (indexes
    // move), not on every arriving line.
  }, [re, store, live, store.prepended]); // eslint-disable-line react-hooks/exhaustive-deps

  const go = (delta: number) => {
    if (!matches.length) return;
    setFollow(false);
    setCurrent((c) => (c + delta + matches.length) % matches.length);
  };
  const currentLine = current >= 0 ? (matches[current] ?? null) : null;

  /** Everything (older pages loaded first), one line each with its service. */
  const download = async () => {
    await loadAll();
    const width = Math.max(...store.services.map((x) => x.length));
    const parts: string[] = [];
    for (let i = 0; i < store.length; i++) parts.push(`${store.services[store.service(i)]!.padEnd(width)} | ${store.line(i)}\n`);
    const url = URL.createObjectURL(new Blob(parts, { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name}-logs.txt`;
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
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} /> Timestamps
        </label>
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
        </label>
        <span className="flex-1" />
        <span className="text-xs tabular-nums text-slate-500" data-testid="line-count" data-lines={store.length} data-live={live ? 'true' : 'false'} data-more={older.more ? 'true' : 'false'}>
          {live ? plural(store.length, 'line') : 'Loading the logs…'}
          {older.more ? (older.loading ? ' · loading older…' : ' · older lines load as you scroll up') : ''}
          {store.dropped ? ` (${store.dropped.toLocaleString()} older dropped from view)` : ''}
        </span>
        {older.more ? (
          <Button variant="secondary" disabled={loadingAll} onClick={() => void loadAll()}>
            {loadingAll ? 'Loading all…' : 'Load all'}
          </Button>
        ) : null}
        {canDownload ? (
          <Button variant="secondary" disabled={!store.length || loadingAll} onClick={() => void download()}>
            Download
          </Button>
        ) : null}
      </div>
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      {pageError ? <Alert>{pageError}</Alert> : null}
      <div className="relative min-h-0 flex-1 rounded-md border border-slate-200 bg-slate-950 text-slate-100 dark:border-slate-800" data-version={version}>
        {store.length === 0 ? <p className="absolute left-3 top-2 text-xs text-slate-400">{live ? 'No log lines yet. New lines appear here as the services write them.' : 'Reading the logs…'}</p> : null}
        <VirtualList
          testId="stack-log-lines"
          className="h-full font-mono text-xs"
          rowClassName={LOG_ROW_CLASS}
          rowHeight={LOG_ROW_HEIGHT}
          count={store.length}
          version={version}
          prepended={store.prepended}
          follow={follow}
          scrollToIndex={currentLine}
          onUserScroll={(atBottom, first) => {
            setFollow(atBottom);
            if (first < NEAR_TOP) void loadOlder();
          }}
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
