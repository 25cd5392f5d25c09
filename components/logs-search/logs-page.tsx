'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { errorMessage, useTRPC, useTRPCClient } from '../trpc/react';
import { Alert, Button, Card, Select, TextInput } from '../ui/controls';
import { EmptyState } from '../ui/empty-state';
import { Histogram } from './histogram';
import { LogLine, type Hit } from './log-line';

const RANGES = [
  { label: 'Last 15 minutes', s: 900 },
  { label: 'Last hour', s: 3600 },
  { label: 'Last 24 hours', s: 86400 },
  { label: 'Last 7 days', s: 7 * 86400 },
  { label: 'All time', s: 0 },
] as const;
const LEVELS = ['', 'error', 'warn', 'info', 'debug'] as const;
const TAIL_KEEP = 1000;

interface Filters {
  query: string;
  regex: boolean;
  containers?: string[];
  stack?: string;
  stream?: 'stdout' | 'stderr';
  since?: number;
}

/** Search across every container's log (removed ones too), with a histogram, context and a live tail. */
export function LogsPage() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const [text, setText] = useState('');
  const [regex, setRegex] = useState(false);
  const [container, setContainer] = useState('');
  const [stack, setStack] = useState('');
  const [stream, setStream] = useState('');
  const [level, setLevel] = useState('');
  const [range, setRange] = useState<number>(86400);
  const [submitted, setSubmitted] = useState<Filters | null>(null);
  const [more, setMore] = useState<{ items: Hit[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [open, setOpen] = useState<Hit | null>(null);
  const [tail, setTail] = useState(false);
  const [tailLines, setTailLines] = useState<Hit[]>([]);

  const known = useQuery(trpc.logs.containers.queryOptions());
  const stacks = useMemo(() => [...new Set((known.data ?? []).map((c) => c.stack).filter((s): s is string => !!s))].sort(), [known.data]);

  const build = (): Filters => ({
    query: [regex || !level ? '' : `level=${level}`, text.trim()].filter(Boolean).join(' '),
    regex,
    containers: container ? [container] : undefined,
    stack: stack || undefined,
    stream: stream ? (stream as 'stdout' | 'stderr') : undefined,
    // Seconds, rounded so the query key stays stable while typing.
    since: range ? Math.floor(Date.now() / 1000) - range : undefined,
  });
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    setMore(null);
    setOpen(null);
    setSubmitted(build());
  };

  const results = useQuery({ ...trpc.logs.search.queryOptions({ ...(submitted ?? { query: '' }), limit: 200 }), enabled: submitted !== null });
  const histogram = useQuery({ ...trpc.logs.histogram.queryOptions({ ...(submitted ?? { query: '' }), buckets: 60 }), enabled: submitted !== null });
  const context = useQuery({
    ...trpc.logs.context.queryOptions({ container: open?.containerId ?? '', time: (open?.t ?? 0) / 1e6, before: 20, after: 20 }),
    enabled: open !== null,
  });
  const tailInput = useMemo(() => {
    const f = build();
    return { query: f.query, regex: f.regex, containers: f.containers, stack: f.stack, stream: f.stream };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tail, submitted]);
  useSubscription(
    trpc.logs.tail.subscriptionOptions(tailInput, {
      enabled: tail,
      onData: (items) => setTailLines((l) => [...l, ...items].slice(-TAIL_KEEP)),
    }),
  );

  const hits: Hit[] = [...(results.data?.items ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.cursor : (results.data?.nextCursor ?? null);
  const loadMore = async () => {
    if (!cursor || !submitted) return;
    setLoadingMore(true);
    try {
      const r = await client.logs.search.query({ ...submitted, limit: 200, cursor });
      setMore({ items: [...(more?.items ?? []), ...r.items], cursor: r.nextCursor });
    } finally {
      setLoadingMore(false);
    }
  };
  const download = () => {
    const body = hits.map((h) => `${h.time} ${h.container} ${h.stream} ${h.line}`).join('\n') + '\n';
    const url = URL.createObjectURL(new Blob([body], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'berth-logs.txt';
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <div className="space-y-3">
      <form className="flex flex-wrap items-center gap-2" onSubmit={submit}>
        <TextInput
          data-search
          aria-label="Search logs"
          placeholder={regex ? 'Regular expression, e.g. timeout after \\d+ms' : 'Words and fields, e.g. level=error timeout status>=500'}
          className="w-full flex-1 font-mono sm:w-96"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={regex} onChange={(e) => setRegex(e.target.checked)} aria-label="Regex" /> Regex
        </label>
        <Select aria-label="Container" className="w-44" value={container} onChange={(e) => setContainer(e.target.value)}>
          <option value="">All containers</option>
          {(known.data ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
              {c.removed ? ' (removed)' : ''}
            </option>
          ))}
        </Select>
        <Select aria-label="Stack" className="w-36" value={stack} onChange={(e) => setStack(e.target.value)}>
          <option value="">All stacks</option>
          {stacks.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </Select>
        <Select aria-label="Stream" className="w-32" value={stream} onChange={(e) => setStream(e.target.value)}>
          <option value="">Both streams</option>
          <option value="stdout">stdout</option>
          <option value="stderr">stderr</option>
        </Select>
        <Select aria-label="Level" className="w-28" value={level} onChange={(e) => setLevel(e.target.value)}>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l || 'Any level'}
            </option>
          ))}
        </Select>
        <Select aria-label="Time range" className="w-40" value={String(range)} onChange={(e) => setRange(Number(e.target.value))}>
          {RANGES.map((r) => (
            <option key={r.s} value={r.s}>
              {r.label}
            </option>
          ))}
        </Select>
        <Button type="submit">Search</Button>
        <Button type="button" variant="secondary" aria-pressed={tail} onClick={() => (setTailLines([]), setTail(!tail))}>
          {tail ? 'Stop live tail' : 'Live tail'}
        </Button>
      </form>
      {results.error ? <Alert>{errorMessage(results.error)}</Alert> : null}
      {histogram.data ? <Histogram {...histogram.data} /> : null}
      {tail ? (
        <Card title={`Live tail (${tailLines.length})`}>
          <div className="max-h-72 overflow-auto" data-testid="logs-tail">
            {tailLines.length === 0 ? <p className="p-2 text-sm text-slate-500">Waiting for new lines…</p> : tailLines.map((h) => <LogLine key={h.id} hit={h} />)}
          </div>
        </Card>
      ) : null}
      {submitted === null ? (
        <EmptyState title="Search every container's log" testId="logs-start">
          Words match anywhere in a line; <code>field=value</code>, <code>field&gt;=n</code> filter JSON lines; <code>-word</code> excludes. Removed containers are searched too,
          as long as their retention keeps them.
        </EmptyState>
      ) : results.isPending ? (
        <p className="text-sm text-slate-500">Searching…</p>
      ) : hits.length === 0 ? (
        <EmptyState title="No matches" testId="logs-no-match">
          Nothing in the indexed logs matches this search in the chosen range.
        </EmptyState>
      ) : (
        <div className="flex flex-col gap-3 lg:flex-row">
          <div className="min-w-0 flex-1">
            <div className="mb-1 flex items-center gap-2 text-xs text-slate-500">
              <span data-testid="logs-count">
                {hits.length}
                {cursor ? '+' : ''} matches
              </span>
              <span>in {results.data?.tookMs ?? 0} ms</span>
              <span className="flex-1" />
              <Button variant="secondary" onClick={download}>
                Download
              </Button>
            </div>
            <div className="rounded border border-slate-200 dark:border-slate-800" data-testid="logs-results">
              {hits.map((h) => (
                <LogLine key={h.id} hit={h} onOpen={setOpen} highlight={open?.id === h.id} />
              ))}
            </div>
            {cursor ? (
              <Button variant="secondary" className="mt-2" onClick={() => void loadMore()} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Older matches'}
              </Button>
            ) : null}
          </div>
          {open ? (
            <div className="lg:w-1/2">
              <Card title={`Around ${open.time.slice(11, 23)} in ${open.container}`} actions={<Button variant="secondary" onClick={() => setOpen(null)}>Close</Button>}>
                <div className="max-h-[32rem] overflow-auto" data-testid="logs-context">
                  {context.error ? <Alert>{errorMessage(context.error)}</Alert> : null}
                  {(context.data?.items ?? []).map((h) => (
                    <LogLine key={h.id} hit={h} highlight={h.id === open.id} />
                  ))}
                </div>
              </Card>
            </div>
          ) : null}
        </div>
      )}
    </div>
  );
}
