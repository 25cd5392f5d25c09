'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../images/confirm-dialog';
import { errorMessage, fieldErrorsOf, useTRPC } from '../trpc/react';
import { Alert, Button, Card, Field, TextInput } from '../ui/controls';
import { DataTable } from '../ui/data-table';

function CreateEndpointForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [tlsCa, setCa] = useState('');
  const [tlsCert, setCert] = useState('');
  const [tlsKey, setKey] = useState('');
  const create = useMutation(
    trpc.endpoints.create.mutationOptions({
      onSuccess: () => {
        setName('');
        setUrl('');
        setCa('');
        setCert('');
        setKey('');
        onDone();
      },
    }),
  );
  const fe = fieldErrorsOf(create.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name, url, tlsCa, tlsCert, tlsKey });
  };
  const area = 'h-20 w-full rounded-md border border-slate-300 bg-white p-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-900';
  return (
    <form onSubmit={submit} aria-label="Add endpoint" className="space-y-3">
      <div className="grid grid-cols-2 gap-3">
        <Field label="Name" errors={fe.name}>
          <TextInput value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Address" errors={fe.url} hint="unix:///var/run/docker.sock or tcp://host:2376">
          <TextInput value={url} onChange={(e) => setUrl(e.target.value)} />
        </Field>
      </div>
      <details>
        <summary className="cursor-pointer text-sm text-slate-600 dark:text-slate-400">TLS (tcp:// only): CA, client certificate and key as PEM</summary>
        <div className="mt-2 grid grid-cols-3 gap-3">
          <Field label="CA certificate" errors={fe.tlsCa}>
            <textarea className={area} value={tlsCa} onChange={(e) => setCa(e.target.value)} />
          </Field>
          <Field label="Client certificate" errors={fe.tlsCert}>
            <textarea className={area} value={tlsCert} onChange={(e) => setCert(e.target.value)} />
          </Field>
          <Field label="Client key" errors={fe.tlsKey}>
            <textarea className={area} value={tlsKey} onChange={(e) => setKey(e.target.value)} />
          </Field>
        </div>
      </details>
      {create.error && !Object.keys(fe).length ? <Alert>{errorMessage(create.error)}</Alert> : null}
      <Button type="submit" disabled={create.isPending}>
        Add endpoint
      </Button>
    </form>
  );
}

export function EndpointsSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.endpoints.list.queryOptions());
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.endpoints.list.queryKey() });
  const [results, setResults] = useState<Record<string, string>>({});
  const test = useMutation(
    trpc.endpoints.test.mutationOptions({
      onSuccess: (r, v) => setResults((x) => ({ ...x, [v.id]: r.ok ? `reachable: Docker ${r.version}, ${r.os}` : `not reachable: ${r.message}` })),
      onError: (e, v) => setResults((x) => ({ ...x, [v.id]: errorMessage(e) })),
    }),
  );
  const remove = useMutation(trpc.endpoints.remove.mutationOptions({ onSuccess: refresh, onSettled: () => setRemoving(null) }));
  const [removing, setRemoving] = useState<{ id: string; name: string } | null>(null);
  return (
    <div className="space-y-4">
      <Card title="Add a remote Docker endpoint">
        <CreateEndpointForm onDone={refresh} />
      </Card>
      <Card title="Endpoints">
        {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
        {remove.error ? <Alert>{errorMessage(remove.error)}</Alert> : null}
        <DataTable
          rows={list.data?.endpoints ?? []}
          rowKey={(e) => e.id}
          rowProps={(e) => ({ 'data-testid': `endpoint-row-${e.name}` })}
          columns={[
            { key: 'name', header: 'Name', className: 'font-medium', cell: (e) => e.name },
            { key: 'address', header: 'Address', className: 'font-mono text-xs', cell: (e) => e.url },
            { key: 'tls', header: 'TLS', cell: (e) => (e.kind === 'embedded' ? '—' : e.tls ? 'yes' : 'no') },
            {
              key: 'actions',
              header: 'Actions',
              align: 'right',
              className: 'space-x-2',
              cell: (e) =>
                e.kind !== 'embedded' ? (
                  <>
                    <span className="text-xs text-slate-500" data-testid="endpoint-test-result">
                      {results[e.id]}
                    </span>
                    <Button variant="secondary" onClick={() => test.mutate({ id: e.id })}>
                      Test
                    </Button>
                    <Button variant="danger" onClick={() => setRemoving({ id: e.id, name: e.name })}>
                      Remove
                    </Button>
                  </>
                ) : null,
            },
          ]}
        />
        {list.data && list.data.endpoints.length === 1 ? <p className="mt-2 text-sm text-slate-500">Only this machine so far. Add a Docker endpoint above to manage another host from here.</p> : null}
      </Card>
      {removing ? (
        <ConfirmDialog title={`Remove the endpoint ${removing.name}?`} confirmLabel="Remove" busy={remove.isPending} onCancel={() => setRemoving(null)} onConfirm={() => remove.mutate({ id: removing.id })}>
          <p>Only this dashboard forgets it; nothing on that engine changes.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
