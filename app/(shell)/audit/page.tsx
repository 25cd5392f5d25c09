'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import clsx from 'clsx';
import { useState } from 'react';
import { Alert, Button, Card, Field, PageHeader, Select, TextInput } from '@/components/ui/controls';
import { errorMessage, useTRPC } from '@/components/trpc/react';
import { useMe } from '@/components/auth/use-me';
import { DataTable } from '@/components/ui/data-table';

type Result = '' | 'success' | 'failure' | 'denied';

export default function AuditPage() {
  const trpc = useTRPC();
  const me = useMe();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [result, setResult] = useState<Result>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const input = {
    actor: actor || undefined,
    action: action || undefined,
    result: result || undefined,
    from: from ? new Date(from) : undefined,
    to: to ? new Date(to) : undefined,
    limit: 100,
  };
  const query = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(input, { getNextPageParam: (last) => last.nextCursor, initialCursor: undefined }),
  );
  const rows = query.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Audit log" subtitle="Every change made through Berth: who, what, on what, when, the result, and from where." />
      {me.data?.user && me.data.user.role !== 'admin' ? (
        <p className="-mt-4 mb-4 text-sm text-slate-500" data-testid="audit-scope">
          You see your own entries; admins see everyone&apos;s.
        </p>
      ) : null}
      <Card>
        <form className="mb-4 grid grid-cols-2 gap-3 md:grid-cols-5" onSubmit={(e) => e.preventDefault()} aria-label="Audit filters">
          <Field label="Actor">
            <TextInput value={actor} onChange={(e) => setActor(e.target.value)} placeholder="any" />
          </Field>
          <Field label="Action">
            <TextInput value={action} onChange={(e) => setAction(e.target.value)} placeholder="e.g. users.create" />
          </Field>
          <Field label="Result">
            <Select value={result} onChange={(e) => setResult(e.target.value as Result)}>
              <option value="">any</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
              <option value="denied">denied</option>
            </Select>
          </Field>
          <Field label="From">
            <TextInput type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          </Field>
          <Field label="To">
            <TextInput type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
          </Field>
        </form>
        {query.error ? <Alert>{errorMessage(query.error)}</Alert> : null}
        <div>
          <DataTable
          rows={rows}
          rowKey={(r) => String(r.id)}
          alignTop
          rowProps={() => ({ 'data-testid': 'audit-row' })}
          columns={[
            { key: 'when', header: 'When', className: 'whitespace-nowrap tabular-nums', cell: (r) => r.at.toLocaleString() },
            {
              key: 'actor',
              header: 'Actor',
              cell: (r) => (
                <>
                  {r.actorName}
                  {r.actorType !== 'user' ? <span className="ml-1 text-xs text-slate-500">({r.actorType})</span> : null}
                </>
              ),
            },
            { key: 'action', header: 'Action', className: 'font-mono text-xs', cell: (r) => r.action },
            // Wrap at word or path boundaries, never letter by letter in a squeezed column.
            { key: 'target', header: 'Target', className: 'min-w-48 max-w-md [overflow-wrap:anywhere]', cellProps: () => ({ 'data-testid': 'audit-target' }), cell: (r) => r.target ?? '—' },
            {
              key: 'result',
              header: 'Result',
              cell: (r) => (
                <>
                  <span
                    title={r.error ?? undefined}
                    className={clsx(
                      'rounded px-1.5 py-0.5 text-xs font-medium',
                      r.result === 'success' && 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
                      r.result === 'failure' && 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
                      r.result === 'denied' && 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
                    )}
                  >
                    {r.result}
                  </span>
                  {r.error ? <div className="mt-1 text-xs text-slate-500">{r.error}</div> : null}
                </>
              ),
            },
            { key: 'client', header: 'Client', className: 'font-mono text-xs', cell: (r) => r.ip ?? '—' },
          ]}
        />
          {!query.isLoading && rows.length === 0 ? <p className="py-6 text-center text-sm text-slate-500">No entries match these filters.</p> : null}
        </div>
        {query.hasNextPage ? (
          <div className="mt-3 text-center">
            <Button variant="secondary" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
              Load older entries
            </Button>
          </div>
        ) : null}
      </Card>
    </>
  );
}
