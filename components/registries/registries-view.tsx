'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { errorMessage, fieldErrorsOf, useTRPC } from '../trpc/react';
import { Alert, Button, Card, Field, TextInput } from '../ui/controls';
import { RegistryBrowser } from './registry-browser';
import { RoleNotice } from '../auth/role-notice';
import { DataTable } from '../ui/data-table';

/** Registry logins: stored sealed on the server; pulls and pushes to that host use them. */
export function RegistriesView() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const isAdmin = useHasRole('admin');
  const list = useQuery(trpc.registries.list.queryOptions());
  const refresh = () => void qc.invalidateQueries({ queryKey: trpc.registries.list.queryKey() });
  const [form, setForm] = useState({ url: '', username: '', secret: '' });
  const save = useMutation(trpc.registries.save.mutationOptions({ onSuccess: () => (setForm({ url: '', username: '', secret: '' }), refresh()) }));
  const remove = useMutation(trpc.registries.remove.mutationOptions({ onSuccess: refresh }));
  const fe = fieldErrorsOf(save.error);
  return (
    <div className="space-y-4">
      {isAdmin ? (
        <Card title="Add a registry">
          <form
            aria-label="Add registry"
            className="space-y-3"
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate(form);
            }}
          >
            <div className="grid grid-cols-3 gap-3">
              <Field label="Registry" errors={fe.url} hint="host[:port], e.g. registry.example.com">
                <TextInput value={form.url} onChange={(e) => setForm({ ...form, url: e.target.value })} />
              </Field>
              <Field label="User" errors={fe.username}>
                <TextInput value={form.username} autoComplete="off" onChange={(e) => setForm({ ...form, username: e.target.value })} />
              </Field>
              <Field label="Password or token" errors={fe.secret}>
                <TextInput type="password" autoComplete="new-password" value={form.secret} onChange={(e) => setForm({ ...form, secret: e.target.value })} />
              </Field>
            </div>
            {save.error && !Object.keys(fe).length ? <Alert>{errorMessage(save.error)}</Alert> : null}
            <Button type="submit" disabled={save.isPending}>
              Save login
            </Button>
          </form>
        </Card>
      ) : (
        <RoleNotice need="admin">Adding registry logins needs the admin role.</RoleNotice>
      )}
      <Card title="Registries">
        {list.data?.length ? (
          <DataTable
            rows={list.data}
            rowKey={(r) => r.id}
            testId="registries-table"
            rowProps={() => ({ 'data-testid': 'registry-row' })}
            columns={[
              { key: 'url', header: 'Registry', className: 'font-mono', cell: (r) => r.url },
              { key: 'user', header: 'User', cell: (r) => r.username },
              { key: 'updated', header: 'Updated', cell: (r) => new Date(r.updatedAt).toLocaleString() },
              {
                key: 'actions',
                header: '',
                align: 'right',
                cell: (r) =>
                  isAdmin ? (
                    <Button variant="ghost" className="text-rose-600" onClick={() => remove.mutate({ id: r.id })}>
                      Remove
                    </Button>
                  ) : null,
              },
            ]}
          />
        ) : (
          <p className="text-sm text-slate-500">No registry logins. Public registries and loopback registries without auth need none.</p>
        )}
        <p className="mt-3 text-xs text-slate-500">
          Secrets are encrypted at rest (AES-256-GCM, key in the data root, mode 0600) and never sent back to the browser; the engine gets them only for the pull or push that needs them.
        </p>
      </Card>
      <RegistryBrowser known={(list.data ?? []).map((r) => r.url)} />
    </div>
  );
}
