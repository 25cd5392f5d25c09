'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Card, Field, Select, TextInput } from '../ui/controls';
import { DataTable } from '../ui/data-table';

const KINDS = {
  died: { label: 'Dies with a non-zero code', params: [] },
  oom: { label: 'Is OOM-killed', params: [] },
  unhealthy: { label: 'Turns unhealthy', params: [] },
  restarts: { label: 'Restarts more than N times in M minutes', params: ['count', 'minutes'] },
  cpu: { label: 'CPU above % of its limit for N seconds', params: ['percent', 'seconds'] },
  memory: { label: 'Memory above % of its limit for N seconds', params: ['percent', 'seconds'] },
  log: { label: 'A log line matches a pattern', params: ['pattern'] },
  disk: { label: "Engine's disk use above %", params: ['percent'] },
  update: { label: 'Image updates: available, applied, failed or rolled back', params: [] },
} as const;
type Kind = keyof typeof KINDS;

/** Rules: everyone sees them and what is firing; operators add and remove them. */
export function RulesCard({ operator }: { operator: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // Refetched by the page's alerts.live subscription (alerts-page.tsx), not polled.
  const list = useQuery(trpc.alerts.rules.list.queryOptions());
  const channels = useQuery(trpc.alerts.channels.list.queryOptions());
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.alerts.rules.list.queryKey() });
  const remove = useMutation(trpc.alerts.rules.delete.mutationOptions({ onSuccess: refresh }));
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Kind>('died');
  const [scope, setScope] = useState({ type: 'all', value: '' });
  const [params, setParams] = useState<Record<string, string>>({});
  const [chosen, setChosen] = useState<string[]>([]);
  const create = useMutation(trpc.alerts.rules.create.mutationOptions({ onSuccess: () => (setName(''), setParams({}), refresh()) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p: Record<string, unknown> = {};
    for (const k of KINDS[kind].params) if (params[k]) p[k] = k === 'pattern' ? params[k] : Number(params[k]);
    const s =
      scope.type === 'all'
        ? { type: 'all' as const }
        : scope.type === 'label'
          ? { type: 'label' as const, key: scope.value.split('=')[0] ?? '', value: scope.value.includes('=') ? scope.value.split('=').slice(1).join('=') : undefined }
          : scope.type === 'stack'
            ? { type: 'stack' as const, name: scope.value }
            : { type: 'container' as const, name: scope.value };
    create.mutate({ name, kind, channelIds: chosen, scope: s, params: p });
  };
  return (
    <Card title="Rules">
      {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
      <DataTable
        rows={list.data ?? []}
        rowKey={(r) => r.id}
        testId="alert-rules"
        noHeader
        compact
        columns={[
          { key: 'name', header: 'Name', className: 'font-medium', cell: (r) => r.name },
          { key: 'kind', header: 'Kind', className: 'text-slate-500', cell: (r) => r.kind },
          { key: 'params', header: 'Parameters', className: 'text-xs text-slate-500', cell: (r) => JSON.stringify(r.params) },
          { key: 'firing', header: 'Firing', className: 'text-red-600', cell: (r) => (r.firing.length ? `firing: ${r.firing.join(', ')}` : '') },
          ...(operator
            ? [
                {
                  key: 'actions',
                  header: 'Actions',
                  align: 'right' as const,
                  cell: (r: { id: string }) => (
                    <Button variant="secondary" onClick={() => remove.mutate({ id: r.id })}>
                      Delete
                    </Button>
                  ),
                },
              ]
            : []),
        ]}
      />
      {operator ? (
        <form className="mt-3 grid gap-2 sm:grid-cols-2" onSubmit={submit} data-testid="new-rule">
          <Field label="Name">
            <TextInput value={name} onChange={(e) => setName(e.target.value)} aria-label="Rule name" />
          </Field>
          <Field label="When a container…">
            <Select value={kind} onChange={(e) => setKind(e.target.value as Kind)} aria-label="Rule kind">
              {Object.entries(KINDS).map(([k, v]) => (
                <option key={k} value={k}>
                  {v.label}
                </option>
              ))}
            </Select>
          </Field>
          {KINDS[kind].params.map((p) => (
            <Field key={p} label={p}>
              <TextInput value={params[p] ?? ''} onChange={(e) => setParams({ ...params, [p]: e.target.value })} aria-label={`Rule ${p}`} />
            </Field>
          ))}
          <Field label="Scope">
            <div className="flex gap-2">
              <Select value={scope.type} onChange={(e) => setScope({ ...scope, type: e.target.value })} aria-label="Rule scope" className="w-32">
                <option value="all">Everything</option>
                <option value="label">Label</option>
                <option value="stack">Stack</option>
                <option value="container">Container</option>
              </Select>
              {scope.type !== 'all' ? (
                <TextInput value={scope.value} onChange={(e) => setScope({ ...scope, value: e.target.value })} placeholder={scope.type === 'label' ? 'key=value' : 'name'} aria-label="Scope value" />
              ) : null}
            </div>
          </Field>
          <Field label="Channels">
            <div className="flex flex-wrap gap-3">
              {(channels.data ?? []).map((c) => (
                <label key={c.id} className="flex items-center gap-1 text-sm">
                  <input type="checkbox" checked={chosen.includes(c.id)} onChange={(e) => setChosen(e.target.checked ? [...chosen, c.id] : chosen.filter((x) => x !== c.id))} />
                  {c.name}
                </label>
              ))}
            </div>
          </Field>
          <div className="sm:col-span-2">
            {create.error ? <Alert>{errorMessage(create.error)}</Alert> : null}
            <Button type="submit" disabled={create.isPending}>
              Add rule
            </Button>
          </div>
        </form>
      ) : null}
    </Card>
  );
}
