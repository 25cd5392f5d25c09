'use client';

import { useMutation } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { errorMessage, useTRPC, useTRPCClient } from '../trpc/react';
import type { RouterOutputs } from '../trpc/types';
import { Alert, Button, Card, TextInput } from '../ui/controls';
import { DataTable } from '../ui/data-table';
import { EmptyState } from '../ui/empty-state';
import { formatBytes, shortId, timeAgo } from '../ui/format';
import { ConfirmDialog } from './confirm-dialog';
import { ProgressBars } from './progress-bars';
import { PullPanel } from './pull-panel';
import { useProgressRun } from './use-progress-run';
import { UpdateBadge } from '../updates/update-badge';
import { UpdatesPanel } from '../updates/updates-panel';
import { useUpdateChecks } from '../updates/use-updates';

type ImageRow = RouterOutputs['images']['list'][number];

const idPath = (id: string) => `/images/${id.replace(/^sha256:/, '')}`;
const refOf = (i: ImageRow) => i.tags[0] ?? i.id;
const layersPath = (ref: string) => `/layers/${encodeURIComponent(ref)}`;

/** Sends a `docker save`/OCI tar as the raw request body; the answer is the engine's progress lines. */
async function loadTar(file: File): Promise<string> {
  const res = await fetch('/api/images/load', { method: 'POST', body: file, headers: { 'Content-Type': 'application/x-tar' } });
  const text = await res.text();
  if (!res.ok) throw new Error((JSON.parse(text) as { message?: string }).message ?? `HTTP ${res.status}`);
  const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { stream?: string; errorDetail?: { message?: string }; error?: string });
  const err = lines.find((l) => l.errorDetail || l.error);
  if (err) throw new Error(err.errorDetail?.message ?? err.error);
  return lines.map((l) => l.stream ?? '').join('').trim() || 'Loaded.';
}

function TagForm({ image, onClose }: { image: ImageRow; onClose: () => void }) {
  const trpc = useTRPC();
  const [value, setValue] = useState('');
  const tag = useMutation(trpc.images.tag.mutationOptions({ onSuccess: onClose }));
  const submit = () => {
    const v = value.trim();
    const colon = v.lastIndexOf(':');
    const hasTag = colon > v.lastIndexOf('/');
    tag.mutate({ ref: image.id, repo: hasTag ? v.slice(0, colon) : v, tag: hasTag ? v.slice(colon + 1) : 'latest' });
  };
  return (
    <form
      className="flex items-center gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <TextInput aria-label="New tag" placeholder="repo:tag" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
      <Button type="submit" disabled={!value.trim() || tag.isPending}>
        Add tag
      </Button>
      <Button variant="ghost" onClick={onClose}>
        Close
      </Button>
      {tag.error ? <span className="text-xs text-rose-600">{errorMessage(tag.error)}</span> : null}
    </form>
  );
}

function PushPanel({ reference, onClose }: { reference: string; onClose: () => void }) {
  const client = useTRPCClient();
  const run = useProgressRun();
  const { start } = run;
  // One push per panel (the panel is keyed by the reference); closing it unsubscribes.
  useEffect(() => start((h) => client.images.push.subscribe({ ref: reference }, h)), [start, client, reference]);
  return (
    <Card title={`Push ${reference}`} actions={<Button variant="ghost" onClick={() => (run.cancel(), onClose())}>Close</Button>}>
      <ProgressBars layers={run.layers} testId="push-progress" />
      {run.state === 'failed' ? <Alert>{run.message}</Alert> : null}
      {run.state === 'done' ? (
        <Alert kind="success">
          <span data-testid="push-done">{run.message || 'Pushed.'}</span>
        </Alert>
      ) : null}
    </Card>
  );
}

export function ImagesList() {
  const trpc = useTRPC();
  const canOperate = useHasRole('operator');
  const [images, setImages] = useState<ImageRow[] | null>(null);
  const sub = useSubscription(trpc.images.watchList.subscriptionOptions(undefined, { onData: setImages }));
  const [tagging, setTagging] = useState<string | null>(null);
  const [pushing, setPushing] = useState<string | null>(null);
  const [removing, setRemoving] = useState<ImageRow | null>(null);
  const [notice, setNotice] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const [pruneAsk, setPruneAsk] = useState(false);
  // Two ticked images open the layer compare view.
  const [picked, setPicked] = useState<string[]>([]);
  const updates = useUpdateChecks();
  const togglePick = (ref: string, on: boolean) => setPicked((p) => (on ? [...p.filter((x) => x !== ref), ref].slice(-2) : p.filter((x) => x !== ref)));
  const remove = useMutation(
    trpc.images.remove.mutationOptions({
      onSuccess: () => setRemoving(null),
      onError: (e) => setNotice({ kind: 'error', text: errorMessage(e) }),
    }),
  );
  const prune = useMutation(
    trpc.images.prune.mutationOptions({
      onSuccess: (r) => setNotice({ kind: 'success', text: `Pruned ${r.deleted} image(s); reclaimed ${formatBytes(r.spaceReclaimed)}.` }),
      onError: (e) => setNotice({ kind: 'error', text: errorMessage(e) }),
      onSettled: () => setPruneAsk(false),
    }),
  );
  const fileInput = useRef<HTMLInputElement>(null);
  const [loading, setLoading] = useState(false);

  return (
    <div className="space-y-4">
      {canOperate ? (
        <div className="grid gap-4 lg:grid-cols-2">
          <PullPanel />
          <Card title="Load or prune">
            <div className="flex flex-wrap items-center gap-2">
              <input
                ref={fileInput}
                type="file"
                accept=".tar,application/x-tar"
                aria-label="Image archive"
                className="hidden"
                data-testid="load-input"
                onChange={async (e) => {
                  const f = e.target.files?.[0];
                  e.target.value = '';
                  if (!f) return;
                  setLoading(true);
                  try {
                    setNotice({ kind: 'success', text: await loadTar(f) });
                  } catch (err) {
                    setNotice({ kind: 'error', text: errorMessage(err) });
                  } finally {
                    setLoading(false);
                  }
                }}
              />
              <Button variant="secondary" disabled={loading} onClick={() => fileInput.current?.click()}>
                {loading ? 'Loading…' : 'Load from a tar…'}
              </Button>
              <Button variant="secondary" onClick={() => setPruneAsk(true)}>
                Prune unused images
              </Button>
            </div>
          </Card>
        </div>
      ) : null}
      {notice ? (
        <Alert kind={notice.kind}>
          <span data-testid="images-notice">{notice.text}</span>
        </Alert>
      ) : null}
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      <UpdatesPanel checks={updates} />
      {picked.length ? (
        <div role="status" className="flex flex-wrap items-center gap-2 rounded-md border border-slate-200 bg-white p-2 text-sm dark:border-slate-800 dark:bg-slate-900" data-testid="compare-bar">
          <span>
            {picked.length === 1 ? `Compare ${picked[0]} with… (tick a second image)` : `Compare ${picked[0]} with ${picked[1]}`}
          </span>
          <span className="flex-1" />
          {picked.length === 2 ? (
            <Link href={`/layers/compare?a=${encodeURIComponent(picked[0]!)}&b=${encodeURIComponent(picked[1]!)}`} className="rounded-md bg-sky-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-700">
              Compare layers
            </Link>
          ) : null}
          <Button variant="ghost" onClick={() => setPicked([])}>
            Clear
          </Button>
        </div>
      ) : null}
      {pushing ? <PushPanel key={pushing} reference={pushing} onClose={() => setPushing(null)} /> : null}
      {images && images.length === 0 ? (
        <EmptyState title="No images" testId="images-empty">
          Pull one by reference, load a tar, or build one on the Builds page.
        </EmptyState>
      ) : (
        <DataTable
          rows={images ?? []}
          rowKey={(i) => i.id}
          testId="images-table"
          alignTop
          rowProps={(i) => ({ 'data-testid': 'image-row', 'data-tags': i.tags.join(' ') })}
          columns={[
            {
              key: 'pick',
              header: <span className="sr-only">Compare</span>,
              className: 'w-8',
              cell: (i) => <input type="checkbox" aria-label={`Pick ${refOf(i)} to compare`} checked={picked.includes(refOf(i))} onChange={(e) => togglePick(refOf(i), e.target.checked)} />,
            },
            {
              key: 'tags',
              header: 'Tags',
              cell: (i) => (
                <>
                  {/* One tag per line: two tags side by side ran into each other. */}
                  <Link href={idPath(i.id)} className="flex flex-col font-medium text-sky-700 hover:underline dark:text-sky-400">
                    {i.tags.length ? i.tags.map((t) => <span key={t} className="break-all">{t}</span>) : '<none>'}
                  </Link>
                  {i.tags.map((t) => (
                    <UpdateBadge key={t} result={updates.byRef.get(t)} />
                  ))}
                  {tagging === i.id ? (
                    <div className="mt-2">
                      <TagForm image={i} onClose={() => setTagging(null)} />
                    </div>
                  ) : null}
                </>
              ),
            },
            { key: 'id', header: 'ID', hideBelow: 'md', className: 'font-mono text-xs', cell: (i) => shortId(i.id) },
            { key: 'size', header: 'Size', cell: (i) => formatBytes(i.size) },
            { key: 'layers', header: 'Layers', hideBelow: 'md', cell: (i) => i.layers },
            { key: 'created', header: 'Created', hideBelow: 'md', cell: (i) => timeAgo(i.created) },
            {
              key: 'usedBy',
              header: 'In use by',
              hideBelow: 'md',
              cell: (i) =>
                i.usedBy.length ? (
                  i.usedBy.map((c) => (
                    <Link key={c.id} href={`/containers/${c.id}`} className="mr-2 text-sky-700 hover:underline dark:text-sky-400">
                      {c.name}
                    </Link>
                  ))
                ) : (
                  <span className="text-slate-400">—</span>
                ),
            },
            {
              key: 'actions',
              header: 'Actions',
              align: 'right',
              cell: (i) => (
                <div className="flex flex-wrap justify-end gap-1">
                  <Link href={`${idPath(i.id)}?tab=history`} className="rounded-md px-2 py-1 text-sm text-slate-600 hover:bg-slate-200 dark:text-slate-300 dark:hover:bg-slate-800">
                    History
                  </Link>
                  <Link href={layersPath(refOf(i))} className="rounded-md px-2 py-1 text-sm text-slate-600 hover:bg-slate-200 dark:text-slate-300 dark:hover:bg-slate-800">
                    Layers
                  </Link>
                  {canOperate ? (
                    <>
                      <Link href={`/containers/new?image=${encodeURIComponent(refOf(i))}`} className="rounded-md px-2 py-1 text-sm text-sky-700 hover:bg-slate-200 dark:text-sky-400 dark:hover:bg-slate-800">
                        Run
                      </Link>
                      <Button variant="ghost" onClick={() => setTagging(i.id)}>
                        Tag
                      </Button>
                      {i.tags.map((t) => (
                        <Button key={t} variant="ghost" title={`Push ${t}`} aria-label={`Push ${t}`} onClick={() => setPushing(t)}>
                          Push{i.tags.length > 1 ? ` ${t}` : ''}
                        </Button>
                      ))}
                      <a href={`/api/images/${encodeURIComponent(refOf(i))}/save`} download className="rounded-md px-2 py-1 text-sm text-slate-600 hover:bg-slate-200 dark:text-slate-300 dark:hover:bg-slate-800">
                        Save
                      </a>
                      <Button variant="ghost" className="text-rose-600" onClick={() => setRemoving(i)}>
                        Remove
                      </Button>
                    </>
                  ) : null}
                </div>
              ),
            },
          ]}
        />
      )}
      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.tags[0] ?? shortId(removing.id)}?`}
          confirmLabel={removing.usedBy.length ? 'Remove anyway (force)' : 'Remove'}
          busy={remove.isPending}
          onCancel={() => setRemoving(null)}
          onConfirm={() => remove.mutate({ ref: removing.tags.length === 1 ? removing.tags[0]! : removing.id, force: removing.usedBy.length > 0 || removing.tags.length > 1 })}
        >
          {removing.usedBy.length ? (
            <div data-testid="remove-blockers">
              <p>These containers use it; a forced removal only untags it while they exist:</p>
              <ul className="list-disc pl-5">
                {removing.usedBy.map((c) => (
                  <li key={c.id}>
                    {c.name} ({c.state})
                  </li>
                ))}
              </ul>
            </div>
          ) : (
            <p>No container uses this image.{removing.tags.length > 1 ? ` All its tags (${removing.tags.join(', ')}) go.` : ''}</p>
          )}
        </ConfirmDialog>
      ) : null}
      {pruneAsk ? (
        <ConfirmDialog title="Prune unused images?" confirmLabel="Prune" busy={prune.isPending} onCancel={() => setPruneAsk(false)} onConfirm={() => prune.mutate({ all: false })}>
          <p>Removes dangling images (no tag, no container).</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
