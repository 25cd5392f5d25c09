'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage, fieldErrorsOf, useTRPC } from '../trpc/react';
import { Alert, Button, Card, Field, Select, TextInput } from '../ui/controls';
import { DataTable } from '../ui/data-table';

type ChannelType = 'webhook' | 'ntfy' | 'slack' | 'smtp';

/** Channels: everyone sees where alerts go and whether a channel is failing; admins add, test and remove. */
export function ChannelsCard({ admin }: { admin: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.alerts.channels.list.queryOptions());
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.alerts.channels.list.queryKey() });
  const [result, setResult] = useState<Record<string, string>>({});
  const test = useMutation(
    trpc.alerts.channels.test.mutationOptions({
      onSuccess: (r, v) => {
        setResult((m) => ({ ...m, [v.id]: r.ok ? 'sent' : `failed: ${r.error}` }));
        refresh();
      },
    }),
  );
  const remove = useMutation(trpc.alerts.channels.delete.mutationOptions({ onSuccess: refresh }));
  return (
    <Card title="Channels">
      {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
      <DataTable
        rows={list.data ?? []}
        rowKey={(c) => c.id}
        testId="alert-channels"
        noHeader
        compact
        columns={[
          { key: 'name', header: 'Name', className: 'font-medium', cell: (c) => c.name },
          { key: 'type', header: 'Type', className: 'text-slate-500', cell: (c) => c.type },
          { key: 'target', header: 'Target', className: 'max-w-xs truncate text-slate-500', cellProps: (c) => ({ title: c.target }), cell: (c) => c.target },
          {
            key: 'state',
            header: 'State',
            cell: (c) => (c.failing ? <span className="text-red-600" title={c.lastError ?? ''}>failing</span> : c.lastOkAt ? <span className="text-green-700">ok</span> : null),
          },
          ...(admin
            ? [
                {
                  key: 'actions',
                  header: 'Actions',
                  align: 'right' as const,
                  cell: (c: { id: string }) => (
                    <>
                      <span className="mr-2 text-xs text-slate-500">{result[c.id]}</span>
                      <Button variant="secondary" onClick={() => test.mutate({ id: c.id })}>
                        Send test
                      </Button>{' '}
                      <Button variant="secondary" onClick={() => remove.mutate({ id: c.id })}>
                        Delete
                      </Button>
                    </>
                  ),
                },
              ]
            : []),
        ]}
      />
      {admin ? <NewChannel onDone={refresh} /> : null}
    </Card>
  );
}

function NewChannel({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [type, setType] = useState<ChannelType>('webhook');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [smtp, setSmtp] = useState({ host: '', port: '587', user: '', password: '', from: '', to: '' });
  const create = useMutation(trpc.alerts.channels.create.mutationOptions({ onSuccess: () => (setName(''), setUrl(''), setSecret(''), onDone()) }));
  const fe = fieldErrorsOf(create.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({
      name,
      type,
      url,
      secret: secret || undefined,
      smtp:
        type === 'smtp'
          ? { host: smtp.host, port: Number(smtp.port) || 587, secure: smtp.port === '465', insecure: false, tlsSkipVerify: false, user: smtp.user || undefined, password: smtp.password || undefined, from: smtp.from, to: smtp.to.split(',').map((s) => s.trim()).filter(Boolean) }
          : undefined,
    });
  };
  return (
    <form className="mt-3 grid gap-2 sm:grid-cols-2" onSubmit={submit} data-testid="new-channel">
      <Field label="Name" errors={fe['name']}>
        <TextInput value={name} onChange={(e) => setName(e.target.value)} aria-label="Channel name" />
      </Field>
      <Field label="Type">
        <Select value={type} onChange={(e) => setType(e.target.value as ChannelType)} aria-label="Channel type">
          <option value="webhook">Webhook (JSON, HMAC-SHA256)</option>
          <option value="ntfy">ntfy</option>
          <option value="slack">Slack incoming webhook</option>
          <option value="smtp">E-mail (SMTP, STARTTLS)</option>
        </Select>
      </Field>
      {type !== 'smtp' ? (
        <Field label="URL" errors={fe['url']}>
          <TextInput value={url} onChange={(e) => setUrl(e.target.value)} aria-label="Channel URL" placeholder="https://…" />
        </Field>
      ) : (
        <>
          <Field label="SMTP host" errors={fe['smtp.host']}>
            <TextInput value={smtp.host} onChange={(e) => setSmtp({ ...smtp, host: e.target.value })} />
          </Field>
          <Field label="Port (587 STARTTLS, 465 TLS)">
            <TextInput value={smtp.port} onChange={(e) => setSmtp({ ...smtp, port: e.target.value })} />
          </Field>
          <Field label="User">
            <TextInput value={smtp.user} onChange={(e) => setSmtp({ ...smtp, user: e.target.value })} />
          </Field>
          <Field label="Password">
            <TextInput type="password" value={smtp.password} onChange={(e) => setSmtp({ ...smtp, password: e.target.value })} />
          </Field>
          <Field label="From" errors={fe['smtp.from']}>
            <TextInput value={smtp.from} onChange={(e) => setSmtp({ ...smtp, from: e.target.value })} />
          </Field>
          <Field label="To (comma-separated)" errors={fe['smtp.to']}>
            <TextInput value={smtp.to} onChange={(e) => setSmtp({ ...smtp, to: e.target.value })} />
          </Field>
        </>
      )}
      {type === 'webhook' || type === 'ntfy' ? (
        <Field label={type === 'webhook' ? 'HMAC key (generated if empty)' : 'Access token (optional)'}>
          <TextInput value={secret} onChange={(e) => setSecret(e.target.value)} />
        </Field>
      ) : null}
      <div className="sm:col-span-2">
        {create.error && !Object.keys(fe).length ? <Alert>{errorMessage(create.error)}</Alert> : null}
        <Button type="submit" disabled={create.isPending}>
          Add channel
        </Button>
      </div>
    </form>
  );
}
