'use client';

import { useQuery } from '@tanstack/react-query';
import clsx from 'clsx';
import { useState } from 'react';
import { ConfirmDialog } from '../images/confirm-dialog';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button } from '../ui/controls';
import type { DeployRun } from './deploy-run';
import type { StackDetail, VersionMeta } from './types';
import { DataTable } from '../ui/data-table';

function Files({ name, version }: { name: string; version: number }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.stacks.version.queryOptions({ name, version }));
  if (q.error) return <Alert>{errorMessage(q.error)}</Alert>;
  if (!q.data) return <p className="text-xs text-slate-500">Loading…</p>;
  return (
    <div className="space-y-2" data-testid="version-files">
      {q.data.files.map((f) => (
        <div key={f.name}>
          <p className="font-mono text-xs text-slate-500">{f.name}</p>
          <pre className="max-h-72 overflow-auto rounded bg-slate-50 p-2 text-xs dark:bg-slate-950">{f.content}</pre>
        </div>
      ))}
      {q.data.env ? (
        <div>
          <p className="font-mono text-xs text-slate-500">.env</p>
          <pre className="max-h-40 overflow-auto rounded bg-slate-50 p-2 text-xs dark:bg-slate-950">{q.data.env}</pre>
        </div>
      ) : null}
    </div>
  );
}

/** Every deploy of the stack, newest first; an earlier one can be deployed again (a rollback). */
export function HistoryPanel({ stack, run, canChange }: { stack: StackDetail; run: DeployRun; canChange: boolean }) {
  const trpc = useTRPC();
  const versions = useQuery(trpc.stacks.versions.queryOptions({ name: stack.name }));
  const [open, setOpen] = useState<number | null>(null);
  const [confirm, setConfirm] = useState<VersionMeta | null>(null);
  if (versions.error) return <Alert>{errorMessage(versions.error)}</Alert>;
  if (!versions.data) return <p className="text-sm text-slate-500">Loading…</p>;
  return (
    <div className="space-y-3">
      <DataTable
        rows={versions.data}
        rowKey={(v) => String(v.version)}
        testId="stack-versions"
        alignTop
        compact
        rowProps={(v) => ({ 'data-testid': 'stack-version', 'data-version': String(v.version), 'data-result': v.result })}
        columns={[
          {
            key: 'version',
            header: 'Version',
            className: 'font-medium tabular-nums',
            cell: (v) => (
              <>
                v{v.version}
                {v.version === stack.version ? <span className="ml-2 rounded bg-sky-100 px-1.5 text-xs text-sky-800 dark:bg-sky-950 dark:text-sky-200">current</span> : null}
              </>
            ),
          },
          { key: 'when', header: 'When', className: 'text-xs', cell: (v) => new Date(v.createdAt).toLocaleString() },
          { key: 'who', header: 'Who', cell: (v) => v.user },
          {
            key: 'result',
            header: 'Result',
            cellProps: (v) => ({ title: v.error ?? '' }),
            cell: (v) => <span className={clsx(v.result === 'failed' && 'text-rose-600', v.result === 'deployed' && 'text-emerald-600')}>{v.result}</span>,
          },
          { key: 'note', header: 'Note', className: 'text-xs text-slate-500', cell: (v) => v.note },
          {
            key: 'actions',
            header: '',
            align: 'right',
            cell: (v) => (
              <>
                <Button variant="ghost" className="text-xs" onClick={() => setOpen(open === v.version ? null : v.version)}>
                  {open === v.version ? 'Hide files' : 'Files'}
                </Button>
                {canChange && v.version !== stack.version ? (
                  <Button variant="secondary" className="text-xs" disabled={run.running} onClick={() => setConfirm(v)}>
                    Roll back
                  </Button>
                ) : null}
              </>
            ),
          },
        ]}
      />
      {open !== null ? <Files name={stack.name} version={open} /> : null}
      {confirm ? (
        <ConfirmDialog
          title={`Roll ${stack.name} back to version ${confirm.version}?`}
          confirmLabel="Roll back"
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            run.rollback(stack.name, confirm.version);
            setConfirm(null);
          }}
        >
          <p>The files of version {confirm.version} are deployed again as a new version; services whose configuration differs are recreated.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
