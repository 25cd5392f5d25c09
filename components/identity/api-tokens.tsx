'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useMe } from '../auth/use-me';
import { errorMessage, fieldErrorsOf, useTRPC } from '../trpc/react';
import { Alert, Button, Card, Field, Select, TextInput } from '../ui/controls';
import { DataTable } from '../ui/data-table';

type Role = 'viewer' | 'operator' | 'admin';
const ROLES: Role[] = ['viewer', 'operator', 'admin'];
const rank = (r: string): number => ROLES.indexOf(r as Role);
const when = (d: Date | string | null): string => (d ? new Date(d).toLocaleString() : 'never');

/** Create, list and revoke API tokens; a new token is shown once, right after it is made. */
export function ApiTokens({ all = false }: { all?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useMe();
  const myRole = me.data?.user?.role ?? 'viewer';
  const list = useQuery(trpc.tokens.list.queryOptions({ all }));
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [days, setDays] = useState('30');
  const [shown, setShown] = useState<{ name: string; token: string } | null>(null);
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: (r) => {
        setShown({ name: r.name, token: r.token });
        setName('');
        refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: refresh }));
  const fe = fieldErrorsOf(create.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setShown(null);
    create.mutate({ name, role, expiresInDays: Number(days) });
  };
  return (
    <Card title={all ? 'API tokens of all users' : 'API tokens'}>
      {!all ? (
        <form onSubmit={submit} aria-label="Create API token" className="mb-4 grid grid-cols-4 items-end gap-3">
          <Field label="Name" errors={fe.name}>
            <TextInput value={name} onChange={(e) => setName(e.target.value)} placeholder="ci" />
          </Field>
          <Field label="Role" errors={fe.role}>
            <Select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.filter((r) => rank(r) <= rank(myRole)).map((r) => (
                <option key={r}>{r}</option>
              ))}
            </Select>
          </Field>
          <Field label="Expires in (days)" errors={fe.expiresInDays}>
            <TextInput type="number" min={1} max={366} value={days} onChange={(e) => setDays(e.target.value)} />
          </Field>
          <Button type="submit" disabled={create.isPending}>
            Create token
          </Button>
        </form>
      ) : null}
      {create.error && !Object.keys(fe).length ? <Alert>{errorMessage(create.error)}</Alert> : null}
      {shown ? (
        <Alert kind="success">
          Token <b>{shown.name}</b> — copy it now, it is not shown again. Use it as <code>Authorization: Bearer …</code>
          <code data-testid="new-token" className="mt-2 block break-all font-mono text-xs">
            {shown.token}
          </code>
        </Alert>
      ) : null}
      {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
      {revoke.error ? <Alert>{errorMessage(revoke.error)}</Alert> : null}
      <DataTable
        rows={list.data ?? []}
        rowKey={(t) => String(t.id)}
        rowProps={(t) => ({ 'data-testid': `token-row-${t.name}` })}
        empty={<p className="py-3 text-sm text-slate-500">No tokens.</p>}
        columns={[
          ...(all ? [{ key: 'user', header: 'User', cell: (t: { username?: string | null }) => t.username }] : []),
          { key: 'name', header: 'Name', className: 'font-medium', cell: (t) => t.name },
          { key: 'role', header: 'Role', cell: (t) => t.role },
          { key: 'expires', header: 'Expires', cell: (t) => when(t.expiresAt) },
          {
            key: 'lastUsed',
            header: 'Last used',
            cell: (t) => (
              <>
                {when(t.lastUsedAt)}
                {t.lastUsedIp ? <span className="text-xs text-slate-500"> from {t.lastUsedIp}</span> : null}
              </>
            ),
          },
          {
            key: 'actions',
            header: 'Actions',
            align: 'right',
            cell: (t) => (
              <Button variant="danger" onClick={() => revoke.mutate({ id: t.id })} disabled={revoke.isPending}>
                Revoke
              </Button>
            ),
          },
        ]}
      />
    </Card>
  );
}
