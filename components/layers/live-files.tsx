'use client';

// A container's Files tab, live: the writable layer's A/M/D entries over a subscription (inotify on
// the upper dir, server side), a click shows the file now and, for M, its diff against the image's
// version; "Commit as image" turns the writable layer into an image.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import clsx from 'clsx';
import Link from 'next/link';
import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useHasRole } from '../auth/use-role';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Card, TextInput } from '../ui/controls';
import { formatBytes, shortId } from '../ui/format';
import { DiffView } from './diff-view';
import type { LiveDiffEvent } from './types';

type LiveChange = Extract<LiveDiffEvent, { type: 'snapshot' }>['changes'][number];

const KIND = {
  A: 'text-emerald-600 dark:text-emerald-400',
  M: 'text-amber-600 dark:text-amber-400',
  D: 'text-rose-600 dark:text-rose-400',
} as const;

const ROW = 22;
const HEIGHT = 420;

/** Applies the subscription's events to a path → change map (a snapshot replaces, a delta patches). */
function apply(prev: Map<string, LiveChange>, ev: LiveDiffEvent): Map<string, LiveChange> {
  if (ev.type === 'snapshot') return new Map(ev.changes.map((c) => [c.path, c]));
  if (ev.type !== 'delta') return prev;
  const next = new Map(prev);
  for (const p of ev.removed) next.delete(p);
  for (const c of ev.upserts) next.set(c.path, c);
  return next;
}

export function LiveFiles({ id, fallback }: { id: string; fallback: ReactNode }) {
  const trpc = useTRPC();
  const [changes, setChanges] = useState<Map<string, LiveChange>>(() => new Map());
  const [seq, setSeq] = useState<number | null>(null);
  const [ended, setEnded] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const sub = useSubscription(
    trpc.analysis.liveChanges.subscriptionOptions(
      { id },
      {
        onData: (ev) => {
          setChanges((m) => apply(m, ev));
          setSeq(ev.seq);
          if (ev.type === 'end') setEnded(ev.reason);
        },
      },
    ),
  );
  const code = (sub.error as { data?: { code?: string } } | null)?.data?.code;
  const rows = useMemo(() => [...changes.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), [changes]);
  const counts = useMemo(() => rows.reduce((n, c) => ((n[c.kind] += 1), n), { A: 0, M: 0, D: 0 }), [rows]);

  // Remote endpoints have no analyzer: the Engine's changes list (refreshed by hand) still works there.
  if (code === 'PRECONDITION_FAILED') return <>{fallback}</>;

  const first = Math.max(0, Math.floor(scrollTop / ROW) - 10);
  const last = Math.min(rows.length, Math.ceil((scrollTop + HEIGHT) / ROW) + 10);
  const picked = selected ? changes.get(selected) : undefined;

  return (
    <div className="space-y-4">
      <Card
        title="Changes since the image"
        actions={
          <span className="flex items-center gap-2 text-xs text-slate-500" data-testid="live-status" data-seq={seq ?? ''}>
            <span className={clsx('h-2 w-2 rounded-full', ended ? 'bg-slate-400' : seq !== null ? 'bg-emerald-500' : 'bg-amber-400')} />
            {ended ? `ended: ${ended}` : seq !== null ? 'live' : 'connecting…'}
          </span>
        }
      >
        <p className="mb-2 text-xs text-slate-500" data-testid="live-counts">
          <span className="font-bold text-emerald-600">A</span> {counts.A} added · <span className="font-bold text-amber-600">M</span> {counts.M} modified ·{' '}
          <span className="font-bold text-rose-600">D</span> {counts.D} deleted, relative to the image; updated as the container writes.
        </p>
        {sub.error && code !== 'PRECONDITION_FAILED' ? <Alert>{errorMessage(sub.error)}</Alert> : null}
        {seq !== null && !rows.length ? <p className="text-sm text-slate-500">The container has not written to its filesystem yet. Changes appear here as it does.</p> : null}
        <div
          className="relative overflow-auto rounded-md border border-slate-200 font-mono text-xs dark:border-slate-800"
          style={{ height: rows.length ? Math.min(HEIGHT, rows.length * ROW + 2) : 0 }}
          onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
          data-testid="live-changes"
          data-count={rows.length}
        >
          <div style={{ height: rows.length * ROW, position: 'relative' }}>
            {rows.slice(first, last).map((c, k) => (
              <div
                key={c.path}
                data-testid={`live-${c.path}`}
                data-kind={c.kind}
                onClick={() => setSelected(c.path)}
                className={clsx('absolute inset-x-0 flex cursor-pointer items-center gap-2 px-2 hover:bg-slate-100 dark:hover:bg-slate-800', selected === c.path && 'bg-sky-100 dark:bg-sky-900/40')}
                style={{ top: (first + k) * ROW, height: ROW }}
              >
                <span className={clsx('w-3 font-bold', KIND[c.kind])}>{c.kind}</span>
                <span className={clsx('truncate', c.kind === 'D' && 'line-through')}>
                  {c.path}
                  {c.type === 'dir' ? '/' : ''}
                </span>
                <span className="ml-auto tabular-nums text-slate-500">{c.type === 'dir' || c.kind === 'D' ? '' : formatBytes(c.size)}</span>
              </div>
            ))}
          </div>
        </div>
      </Card>
      {picked ? <ChangedFile id={id} change={picked} /> : null}
      <CommitCard id={id} />
    </div>
  );
}

function ChangedFile({ id, change }: { id: string; change: LiveChange }) {
  const trpc = useTRPC();
  const readable = change.kind !== 'D' && change.type !== 'dir';
  // The file keeps changing: the mtime in the key fetches it again after each write.
  const file = useQuery(trpc.analysis.containerFile.queryOptions({ id, path: change.path }, { enabled: readable, staleTime: Infinity }));
  const stamp = useRef(change.mtimeMs);
  const { refetch } = file;
  useEffect(() => {
    if (stamp.current === change.mtimeMs || !readable) return;
    stamp.current = change.mtimeMs;
    void refetch();
  }, [change.mtimeMs, readable, refetch]);
  return (
    <Card title={change.path}>
      <div data-testid="live-file" data-path={change.path} className="space-y-2">
        {change.kind === 'D' ? <p className="text-sm text-slate-500">Deleted in the container; the image still has it.</p> : null}
        {change.type === 'dir' ? <p className="text-sm text-slate-500">A directory.</p> : null}
        {file.error ? <Alert>{errorMessage(file.error)}</Alert> : null}
        {file.data ? (
          <>
            <p className="text-xs text-slate-500">
              {formatBytes(file.data.now.size)} now
              {file.data.before ? ` · ${formatBytes(file.data.before.size)} in the image (layer ${file.data.before.layer})` : ' · not in the image'}
            </p>
            {change.kind === 'M' && file.data.diff ? (
              <>
                <h3 className="text-xs font-semibold">Diff against the image’s version</h3>
                {file.data.diff.skipped ? <p className="text-sm text-slate-500">No text diff: {file.data.diff.skipped === 'binary' ? 'a side is binary' : 'a side is too large'}.</p> : <DiffView unified={file.data.diff.unified} testId="live-diff" />}
              </>
            ) : null}
            <h3 className="text-xs font-semibold">Content{file.data.now.truncated ? ' (head)' : ''}</h3>
            <pre data-testid="live-content" className="max-h-72 overflow-auto rounded-md bg-slate-50 p-2 text-xs dark:bg-slate-950">
              {file.data.now.content}
            </pre>
          </>
        ) : null}
      </div>
    </Card>
  );
}

function CommitCard({ id }: { id: string }) {
  const trpc = useTRPC();
  const canOperate = useHasRole('operator');
  const [reference, setReference] = useState('');
  const commit = useMutation(trpc.analysis.commit.mutationOptions());
  if (!canOperate) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    commit.mutate({ id, reference: reference.trim() });
  };
  return (
    <Card title="Commit as image">
      <form className="flex flex-wrap items-center gap-2" onSubmit={submit}>
        <TextInput aria-label="Image name" placeholder="name:tag (optional)" value={reference} onChange={(e) => setReference(e.target.value)} className="!w-64" />
        <Button type="submit" disabled={commit.isPending}>
          {commit.isPending ? 'Committing…' : 'Commit as image'}
        </Button>
        {commit.data ? (
          <span className="text-sm" data-testid="commit-result">
            Image {shortId(commit.data.Id)} created ·{' '}
            <Link className="text-sky-700 hover:underline dark:text-sky-400" href={`/layers/${encodeURIComponent(commit.data.Id)}`}>
              open its layers
            </Link>
          </span>
        ) : null}
      </form>
      {commit.error ? <div className="mt-2"><Alert>{errorMessage(commit.error)}</Alert></div> : null}
    </Card>
  );
}
