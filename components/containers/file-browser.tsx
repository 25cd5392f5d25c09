'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import clsx from 'clsx';
import { useMemo, useRef, useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { ConfirmDialog } from '../images/confirm-dialog';
import { errorMessage, useTRPC } from '../trpc/react';
import type { RouterOutputs } from '../trpc/types';
import { Alert, Button, Card, TextInput } from '../ui/controls';
import { formatBytes } from '../ui/format';
import { DataTable } from '../ui/data-table';

type Entry = RouterOutputs['files']['list']['entries'][number];

const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
const modeText = (mode: number) => ['r', 'w', 'x', 'r', 'w', 'x', 'r', 'w', 'x'].map((c, i) => (mode & (1 << (8 - i)) ? c : '-')).join('');
const ICONS: Record<Entry['type'], string> = { dir: '▸', file: '·', symlink: '↪', hardlink: '⇉', other: '◆' };
/** Engine changes: Kind 0 modified, 1 added, 2 deleted (Docker's /containers/{id}/changes). */
const KINDS = ['M', 'A', 'D'] as const;

/** Reads browser files as base64 for the upload mutation, each under its path below the chosen folder. */
async function asUpload(files: FileList): Promise<{ path: string; base64: string }[]> {
  const out: { path: string; base64: string }[] = [];
  for (const f of Array.from(files)) {
    const bytes = new Uint8Array(await f.arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    out.push({ path: f.webkitRelativePath || f.name, base64: btoa(bin) });
  }
  return out;
}

function saveBase64(name: string, base64: string): void {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/x-tar' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function FileEditor({ id, path, canEdit, running, onSaved }: { id: string; path: string; canEdit: boolean; running: boolean; onSaved: () => void }) {
  const trpc = useTRPC();
  const file = useQuery(trpc.files.read.queryOptions({ id, path }, { staleTime: 0 }));
  const [text, setText] = useState<string | null>(null);
  const save = useMutation(trpc.files.write.mutationOptions({ onSuccess: onSaved }));
  const f = file.data;
  const editable = canEdit && f && f.type === 'file' && !f.binary && !f.truncated;
  const value = text ?? f?.content ?? '';
  return (
    <Card title={path} actions={f ? <span className="text-xs text-slate-500">{formatBytes(f.size)}{f.binary ? ' · binary' : ''}</span> : null}>
      {file.error ? <Alert>{errorMessage(file.error)}</Alert> : null}
      {!f && !file.error ? <p className="text-sm text-slate-500">Reading…</p> : null}
      {f && f.type === 'symlink' ? <p className="text-sm">A link to <code>{f.linkTarget}</code>.</p> : null}
      {f && f.type === 'file' ? (
        <div className="space-y-2">
          {f.truncated ? <Alert kind="info">Only the first 1 MiB is shown; files this large are not edited here.</Alert> : null}
          <textarea
            aria-label="File content"
            data-testid="file-content"
            spellCheck={false}
            readOnly={!editable}
            className="h-80 w-full rounded-md border border-slate-300 bg-white p-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-950"
            value={value}
            onChange={(e) => setText(e.target.value)}
          />
          {editable ? (
            <div className="flex items-center gap-2">
              <Button disabled={text === null || text === f.content || save.isPending} onClick={() => save.mutate({ id, path, content: value })}>
                {save.isPending ? 'Saving…' : 'Save'}
              </Button>
              {save.isSuccess && save.variables.content === value ? (
                <span className="text-xs text-emerald-600" data-testid="file-saved">
                  Saved.
                </span>
              ) : null}
              {!running ? <span className="text-xs text-slate-500">Saved into the stopped container&apos;s filesystem.</span> : null}
            </div>
          ) : null}
          {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
        </div>
      ) : null}
    </Card>
  );
}

/** Docker Desktop's Files tab: the container's filesystem through the Engine's archive API. */
export function FileBrowser({ id, running }: { id: string; running: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useHasRole('operator');
  const [dir, setDir] = useState('/');
  const [goTo, setGoTo] = useState('/');
  const [open, setOpen] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const list = useQuery(trpc.files.list.queryOptions({ id, path: dir }, { staleTime: 0 }));
  const changes = useQuery(trpc.containers.changes.queryOptions({ id }, { staleTime: 0 }));
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.files.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.containers.changes.queryKey({ id }) });
  };
  const report = { onSuccess: refresh, onError: (e: unknown) => setNotice({ kind: 'error' as const, text: errorMessage(e) }) };
  const upload = useMutation(trpc.files.upload.mutationOptions({ ...report, onSuccess: (r) => (refresh(), setNotice({ kind: 'success', text: `Uploaded ${r.uploaded} file(s), ${formatBytes(r.bytes)}.` })) }));
  const remove = useMutation(trpc.files.remove.mutationOptions({ ...report, onSettled: () => setDeleting(null) }));
  const download = useMutation(trpc.files.download.mutationOptions({ onSuccess: (r) => saveBase64(r.name, r.base64), onError: report.onError }));
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);

  // Changed paths and the folders above them, marked against the image.
  const marks = useMemo(() => {
    const m = new Map<string, string>();
    for (const c of changes.data ?? []) {
      m.set(c.Path, KINDS[c.Kind] ?? 'M');
      for (let p = c.Path.slice(0, c.Path.lastIndexOf('/')); p; p = p.slice(0, p.lastIndexOf('/'))) if (!m.has(p)) m.set(p, '•');
    }
    return m;
  }, [changes.data]);
  const deletedHere = (changes.data ?? []).filter((c) => c.Kind === 2 && c.Path.slice(0, c.Path.lastIndexOf('/') || 1) === dir);

  const enter = (p: string) => {
    setDir(p);
    setGoTo(p);
    setOpen(null);
  };
  const crumbs = dir === '/' ? [] : dir.slice(1).split('/');
  const onUpload = async (files: FileList | null) => {
    if (!files?.length) return;
    setNotice(null);
    try {
      upload.mutate({ id, dir, files: await asUpload(files) });
    } catch (err) {
      setNotice({ kind: 'error', text: errorMessage(err) });
    }
  };

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <nav aria-label="Folder" className="flex flex-wrap items-center gap-1 font-mono text-sm" data-testid="file-breadcrumbs">
          <button type="button" className="text-sky-700 hover:underline dark:text-sky-400" onClick={() => enter('/')}>
            /
          </button>
          {crumbs.map((c, i) => (
            <span key={i} className="flex items-center gap-1">
              <button type="button" className="text-sky-700 hover:underline dark:text-sky-400" onClick={() => enter(`/${crumbs.slice(0, i + 1).join('/')}`)}>
                {c}
              </button>
              {i < crumbs.length - 1 ? <span className="text-slate-400">/</span> : null}
            </span>
          ))}
        </nav>
        <span className="flex-1" />
        <form
          className="flex gap-1"
          onSubmit={(e) => {
            e.preventDefault();
            if (goTo.startsWith('/')) enter(goTo.replace(/(.)\/+$/, '$1'));
          }}
        >
          <TextInput aria-label="Go to folder" className="w-full font-mono sm:w-56" value={goTo} onChange={(e) => setGoTo(e.target.value)} />
          <Button type="submit" variant="secondary">
            Go
          </Button>
        </form>
        <Button variant="secondary" onClick={refresh}>
          Refresh
        </Button>
        {canOperate ? (
          <>
            <input ref={fileInput} type="file" multiple className="hidden" data-testid="upload-files" onChange={(e) => void onUpload(e.target.files).finally(() => (e.target.value = ''))} />
            <input
              ref={(el) => {
                folderInput.current = el;
                el?.setAttribute('webkitdirectory', '');
              }}
              type="file"
              className="hidden"
              data-testid="upload-folder"
              onChange={(e) => void onUpload(e.target.files).finally(() => (e.target.value = ''))}
            />
            <Button variant="secondary" disabled={upload.isPending} onClick={() => fileInput.current?.click()}>
              {upload.isPending ? 'Uploading…' : 'Upload files…'}
            </Button>
            <Button variant="secondary" disabled={upload.isPending} onClick={() => folderInput.current?.click()}>
              Upload a folder…
            </Button>
            <Button variant="secondary" disabled={download.isPending} onClick={() => download.mutate({ id, path: dir })}>
              Download folder
            </Button>
          </>
        ) : null}
      </div>
      {notice ? (
        <Alert kind={notice.kind}>
          <span data-testid="files-notice">{notice.text}</span>
        </Alert>
      ) : null}
      {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
      {list.data?.truncated ? <Alert kind="info">This folder holds more than the browser walks at once; only part of it is listed.</Alert> : null}
      <p className="text-xs text-slate-500">
        Marks against the image: <b className="text-emerald-600">A</b> added, <b className="text-amber-600">M</b> modified, <b className="text-rose-600">D</b> deleted, • something below changed.
      </p>
      <div className="grid gap-3 lg:grid-cols-2">
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <DataTable
            rows={[
              ...(dir !== '/' ? [{ kind: 'up' as const, key: '..' }] : []),
              ...(list.data?.entries ?? []).map((e) => ({ kind: 'entry' as const, key: e.name, e, full: join(dir, e.name) })),
              ...deletedHere.map((c) => ({ kind: 'deleted' as const, key: c.Path, path: c.Path })),
            ]}
            rowKey={(r) => r.key}
            testId="file-list"
            rowProps={(r) =>
              r.kind === 'entry' ? { 'data-testid': 'file-row', 'data-name': r.e.name, 'data-mark': marks.get(r.full) ?? '' } : r.kind === 'deleted' ? { 'data-testid': 'file-row-deleted' } : {}
            }
            rowClassName={(r) => (r.kind === 'deleted' ? 'text-slate-400 line-through' : r.kind === 'entry' && open === r.full ? 'bg-sky-50 dark:bg-sky-950' : undefined)}
            columns={[
              {
                key: 'mark',
                header: '',
                className: 'w-6 px-2 text-center font-bold',
                cell: (r) => {
                  if (r.kind === 'deleted') return <span className="text-rose-600">D</span>;
                  if (r.kind === 'up') return null;
                  const mark = marks.get(r.full);
                  return (
                    <span className={clsx(mark === 'A' && 'text-emerald-600', mark === 'M' && 'text-amber-600', mark === '•' && 'text-slate-400')} title={mark === 'A' ? 'added' : mark === 'M' ? 'modified' : mark ? 'changed below' : undefined}>
                      {mark ?? ''}
                    </span>
                  );
                },
              },
              {
                key: 'name',
                header: 'Name',
                className: '[overflow-wrap:anywhere]',
                cell: (r) =>
                  r.kind === 'up' ? (
                    <button type="button" className="text-sky-700 hover:underline dark:text-sky-400" onClick={() => enter(dir.slice(0, dir.lastIndexOf('/')) || '/')}>
                      ..
                    </button>
                  ) : r.kind === 'deleted' ? (
                    r.path.slice(r.path.lastIndexOf('/') + 1)
                  ) : (
                    <button type="button" className="text-left hover:underline" onClick={() => (r.e.type === 'dir' ? enter(r.full) : setOpen(r.full))}>
                      <span aria-hidden className="mr-1">
                        {ICONS[r.e.type]}
                      </span>
                      {r.e.name}
                      {r.e.linkTarget ? <span className="text-slate-400"> → {r.e.linkTarget}</span> : null}
                    </button>
                  ),
              },
              { key: 'mode', header: 'Mode', hideBelow: 'sm', className: 'font-mono text-xs text-slate-500', cell: (r) => (r.kind === 'entry' ? modeText(r.e.mode) : null) },
              { key: 'size', header: 'Size', align: 'right', className: 'tabular-nums', cell: (r) => (r.kind === 'entry' && r.e.type !== 'dir' ? formatBytes(r.e.size) : null) },
              {
                key: 'actions',
                header: <span className="sr-only">Actions</span>,
                align: 'right',
                className: 'pr-2 whitespace-nowrap',
                cell: (r) =>
                  r.kind === 'entry' && canOperate ? (
                    <>
                      <Button variant="ghost" aria-label={`Download ${r.e.name}`} onClick={() => download.mutate({ id, path: r.full })}>
                        ⤓
                      </Button>
                      <Button variant="ghost" className="text-rose-600" aria-label={`Delete ${r.e.name}`} onClick={() => setDeleting(r.full)}>
                        ✕
                      </Button>
                    </>
                  ) : null,
              },
            ]}
          />
          {list.isPending ? <p className="p-3 text-sm text-slate-500">Reading the folder…</p> : null}
          {list.data && !list.data.entries.length ? <p className="p-3 text-sm text-slate-500">This folder is empty.</p> : null}
        </div>
        {open ? <FileEditor key={open} id={id} path={open} canEdit={canOperate} running={running} onSaved={refresh} /> : <p className="text-sm text-slate-500">Choose a file to view{canOperate ? ' or edit' : ''} it.</p>}
      </div>
      {deleting ? (
        <ConfirmDialog title={`Delete ${deleting}?`} confirmLabel="Delete" busy={remove.isPending} onCancel={() => setDeleting(null)} onConfirm={() => remove.mutate({ id, path: deleting })}>
          <p>It is removed from the container&apos;s filesystem (rm -rf inside the container, which must be running).</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
