'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import clsx from 'clsx';
import Link from 'next/link';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { errorMessage, useTRPC, useTRPCClient } from '../trpc/react';
import { Alert, Button, Card, Field, TextInput } from '../ui/controls';
import { shortId } from '../ui/format';
import { addRecord, emptyBuild, finish, type BuildView } from './build-steps';
import { uploadContext, type ContextChoice } from './context-upload';
import { DockerfileEditor, type DockerfileEditorHandle } from './dockerfile-editor';
import { RoleNotice } from '../auth/role-notice';
import { DataTable } from '../ui/data-table';

const STARTER = 'FROM busybox:latest\nRUN echo hello > /hello.txt\nCMD ["cat", "/hello.txt"]\n';

type RunState = { phase: 'idle' } | { phase: 'uploading' } | { phase: 'running' } | { phase: 'done' } | { phase: 'failed'; message: string; line: number | null } | { phase: 'cancelled' };

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function Steps({ view, running }: { view: BuildView; running: boolean }) {
  return (
    <ol className="space-y-2" data-testid="build-steps">
      {view.steps.map((s, i) => {
        const isFrom = /^FROM\s/i.test(s.instruction);
        const live = running && i === view.steps.length - 1;
        return (
          <li
            key={s.n}
            data-testid="build-step"
            data-cached={s.cached}
            data-from={isFrom}
            data-failed={s.failed}
            className={clsx('rounded-md border', s.failed ? 'border-rose-400 dark:border-rose-700' : 'border-slate-200 dark:border-slate-800')}
          >
            <div className={clsx('flex items-center gap-2 px-3 py-1.5 text-sm', s.failed ? 'bg-rose-50 text-rose-900 dark:bg-rose-950 dark:text-rose-100' : 'bg-slate-50 dark:bg-slate-900')}>
              <span className="font-mono text-xs text-slate-500">
                {s.n}/{s.total}
              </span>
              <code className="flex-1 truncate" title={s.line ? `Dockerfile line ${s.line}` : undefined}>
                {s.instruction}
              </code>
              {s.failed ? (
                <span className="rounded bg-rose-100 px-1.5 text-xs text-rose-800 dark:bg-rose-900 dark:text-rose-200" data-testid="step-failed">
                  failed
                </span>
              ) : null}
              {s.cached ? <span className="rounded bg-emerald-100 px-1.5 text-xs text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200" data-testid="cache-hit">cache hit</span> : null}
              <span className="w-20 text-right font-mono text-xs text-slate-500" data-testid="step-duration">
                {live ? 'running…' : s.endAt !== null ? seconds(s.endAt - s.startAt) : ''}
              </span>
            </div>
            {s.output ? <pre className="max-h-48 overflow-auto px-3 py-1 text-xs text-slate-700 dark:text-slate-300">{s.output.replace(/\n$/, '')}</pre> : null}
          </li>
        );
      })}
    </ol>
  );
}

function ContextPicker({ choice, onChange, disabled }: { choice: ContextChoice; onChange: (c: ContextChoice) => void; disabled: boolean }) {
  const folder = useRef<HTMLInputElement>(null);
  const tar = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // webkitdirectory is not a React prop: set it on the element.
    folder.current?.setAttribute('webkitdirectory', '');
    folder.current?.setAttribute('directory', '');
  }, []);
  const label = choice.kind === 'none' ? 'Dockerfile only' : choice.kind === 'folder' ? `Folder: ${choice.files.length} file(s)` : `Tar: ${choice.file.name}`;
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" disabled={disabled} onClick={() => folder.current?.click()}>
          Upload a folder…
        </Button>
        <Button variant="secondary" disabled={disabled} onClick={() => tar.current?.click()}>
          Upload a tar…
        </Button>
        <Button variant="ghost" disabled={disabled || choice.kind === 'none'} onClick={() => onChange({ kind: 'none' })}>
          Dockerfile only
        </Button>
      </div>
      <p className="text-sm text-slate-600 dark:text-slate-300" data-testid="context-choice">
        Context: {label}
      </p>
      <input
        ref={folder}
        type="file"
        multiple
        className="hidden"
        data-testid="context-folder"
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          if (files.length) onChange({ kind: 'folder', files });
          e.target.value = '';
        }}
      />
      <input
        ref={tar}
        type="file"
        accept=".tar,.tar.gz,.tgz,application/x-tar,application/gzip"
        className="hidden"
        data-testid="context-tar"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) onChange({ kind: 'tar', file: f });
          e.target.value = '';
        }}
      />
    </div>
  );
}

function History() {
  const trpc = useTRPC();
  const history = useQuery(trpc.builds.history.queryOptions({ limit: 30 }));
  if (!history.data?.length) return <p className="text-sm text-slate-500">No builds yet.</p>;
  return (
    <DataTable
      rows={history.data}
      rowKey={(b) => String(b.id)}
      testId="build-history"
      compact
      rowProps={(b) => ({ 'data-testid': 'build-history-row', 'data-result': b.result })}
      columns={[
        { key: 'when', header: 'When', cell: (b) => new Date(b.startedAt).toLocaleString() },
        { key: 'who', header: 'Who', cell: (b) => b.userName },
        { key: 'tag', header: 'Tag', cell: (b) => b.tag ?? '—' },
        {
          key: 'result',
          header: 'Result',
          cellProps: (b) => ({ title: b.error ?? '' }),
          cell: (b) => (
            <span className={clsx(b.result === 'failed' && 'text-rose-600', b.result === 'succeeded' && 'text-emerald-600')}>
              {b.result}
              {b.errorLine ? ` (line ${b.errorLine})` : ''}
            </span>
          ),
        },
        { key: 'duration', header: 'Duration', cell: (b) => (b.durationMs !== null ? seconds(b.durationMs) : '—') },
        {
          key: 'image',
          header: 'Image',
          className: 'font-mono text-xs',
          cell: (b) =>
            b.imageId ? (
              <Link href={`/images/${b.imageId.replace(/^sha256:/, '')}`} className="text-sky-700 hover:underline dark:text-sky-400">
                {shortId(b.imageId)}
              </Link>
            ) : (
              '—'
            ),
        },
      ]}
    />
  );
}

export function BuildPage() {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useHasRole('operator');
  const editor = useRef<DockerfileEditorHandle>(null);
  const [dockerfile, setDockerfile] = useState(STARTER);
  const [tag, setTag] = useState('');
  const [target, setTarget] = useState('');
  const [noCache, setNoCache] = useState(false);
  const [args, setArgs] = useState<{ key: string; value: string }[]>([]);
  const [context, setContext] = useState<ContextChoice>({ kind: 'none' });
  const [view, setView] = useState<BuildView>(emptyBuild);
  const [run, setRun] = useState<RunState>({ phase: 'idle' });
  const sub = useRef<{ unsubscribe: () => void } | null>(null);
  const lastAt = useRef(0);

  useEffect(() => () => sub.current?.unsubscribe(), []);
  const refreshHistory = useCallback(() => void queryClient.invalidateQueries({ queryKey: trpc.builds.history.queryKey() }), [queryClient, trpc]);

  const start = async () => {
    sub.current?.unsubscribe();
    editor.current?.markLine(0);
    setView(emptyBuild());
    let contextId: string | undefined;
    try {
      if (context.kind !== 'none') setRun({ phase: 'uploading' });
      contextId = await uploadContext(context);
    } catch (err) {
      setRun({ phase: 'failed', message: errorMessage(err), line: null });
      return;
    }
    setRun({ phase: 'running' });
    let failed = false;
    sub.current = client.builds.run.subscribe(
      { dockerfile, contextId, tag, target, noCache, buildArgs: args.filter((a) => a.key.trim()), clientId: String(Date.now()) },
      {
        onData: (e) => {
          if (e.kind === 'started') return;
          lastAt.current = e.at;
          if (e.kind === 'record') {
            const r = e.record;
            setView((v) => addRecord(v, r, e.at));
            if (r.type === 'error') {
              failed = true;
              const line = r.location && r.location.line > 0 ? r.location.line : null;
              setView((v) => finish(v, e.at));
              setRun({ phase: 'failed', message: r.message, line });
              if (line) editor.current?.markLine(line);
            }
          } else if (e.kind === 'done') {
            setView((v) => finish({ ...v, imageId: e.imageId ?? v.imageId }, e.at));
            setRun({ phase: 'done' });
          }
        },
        onError: (err) => {
          failed = true;
          setRun({ phase: 'failed', message: errorMessage(err), line: null });
          refreshHistory();
        },
        onComplete: () => {
          if (!failed) setRun((r) => (r.phase === 'running' ? { phase: 'done' } : r));
          sub.current = null;
          refreshHistory();
        },
      },
    );
  };

  const cancel = () => {
    // Unsubscribing aborts the server's signal, which destroys the engine's build stream.
    sub.current?.unsubscribe();
    sub.current = null;
    setView((v) => finish(v, lastAt.current));
    setRun({ phase: 'cancelled' });
    setTimeout(refreshHistory, 500);
  };

  const busy = run.phase === 'running' || run.phase === 'uploading';
  return (
    <div className="grid gap-4 xl:grid-cols-2">
      <div className="space-y-4">
        <Card title="Dockerfile">
          <DockerfileEditor ref={editor} initial={STARTER} onChange={setDockerfile} readOnly={!canOperate} />
        </Card>
        {canOperate ? (
          <Card title="Options">
            <div className="space-y-3">
              <ContextPicker choice={context} onChange={setContext} disabled={busy} />
              <div className="grid grid-cols-2 gap-3">
                <Field label="Tag">
                  <TextInput value={tag} placeholder="myapp:latest" onChange={(e) => setTag(e.target.value)} />
                </Field>
                <Field label="Target stage">
                  <TextInput value={target} placeholder="(last stage)" onChange={(e) => setTarget(e.target.value)} />
                </Field>
              </div>
              <div className="space-y-1">
                <span className="text-sm font-medium text-slate-700 dark:text-slate-300">Build args</span>
                {args.map((a, i) => (
                  <div key={i} className="flex gap-2">
                    <TextInput aria-label={`Build arg ${i + 1} name`} value={a.key} placeholder="NAME" onChange={(e) => setArgs(args.map((x, n) => (n === i ? { ...x, key: e.target.value } : x)))} />
                    <TextInput aria-label={`Build arg ${i + 1} value`} value={a.value} placeholder="value" onChange={(e) => setArgs(args.map((x, n) => (n === i ? { ...x, value: e.target.value } : x)))} />
                    <Button variant="ghost" onClick={() => setArgs(args.filter((_, n) => n !== i))}>
                      ✕
                    </Button>
                  </div>
                ))}
                <Button variant="ghost" onClick={() => setArgs([...args, { key: '', value: '' }])}>
                  + Build arg
                </Button>
              </div>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={noCache} onChange={(e) => setNoCache(e.target.checked)} /> No cache
              </label>
              <div className="flex gap-2">
                <Button onClick={() => void start()} disabled={busy}>
                  {run.phase === 'uploading' ? 'Uploading context…' : 'Build'}
                </Button>
                {busy ? (
                  <Button variant="danger" onClick={cancel}>
                    Cancel
                  </Button>
                ) : null}
              </div>
            </div>
          </Card>
        ) : (
          <RoleNotice need="operator">Viewers see the builds; building needs the operator role.</RoleNotice>
        )}
      </div>
      <div className="space-y-4">
        <Card title="Output">
          <div className="space-y-2">
            <p className="text-sm" data-testid="build-status">
              {run.phase === 'idle' ? 'Not started.' : run.phase}
            </p>
            {run.phase === 'failed' ? (
              <Alert>
                <span data-testid="build-error">{run.message}</span>
                {run.line ? (
                  <>
                    {' '}
                    <button type="button" className="font-medium underline" data-testid="error-line-link" onClick={() => editor.current?.markLine(run.line!)}>
                      Dockerfile line {run.line}
                    </button>
                  </>
                ) : null}
              </Alert>
            ) : null}
            {view.preamble.length ? <pre className="text-xs text-slate-500">{view.preamble.join('\n')}</pre> : null}
            <Steps view={view} running={run.phase === 'running'} />
            {run.phase === 'done' && view.imageId ? (
              <Alert kind="success">
                Built{' '}
                <Link href={`/images/${view.imageId.replace(/^sha256:/, '')}`} className="font-medium underline" data-testid="built-image-link">
                  {shortId(view.imageId)}
                </Link>
                {tag ? ` as ${tag}` : ''}.
              </Alert>
            ) : null}
          </div>
        </Card>
        <Card title="History">
          <History />
        </Card>
      </div>
    </div>
  );
}
