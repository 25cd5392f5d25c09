'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useMe } from '@/components/auth/use-me';
import { ConfirmDialog } from '@/components/images/confirm-dialog';
import { Alert, Button, Card, Field, PageHeader, Select, TextInput } from '@/components/ui/controls';
import { errorMessage, fieldErrorsOf, useTRPC } from '@/components/trpc/react';
import { DataTable } from '@/components/ui/data-table';

type Role = 'viewer' | 'operator' | 'admin';
const ROLES: Role[] = ['viewer', 'operator', 'admin'];

function CreateUserForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: () => {
        setUsername('');
        setPassword('');
        onDone();
      },
    }),
  );
  const fields = fieldErrorsOf(create.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ username, password, role });
  };
  return (
    <form onSubmit={submit} className="grid grid-cols-[1fr_1fr_10rem_auto] items-start gap-3" aria-label="Create user">
      <Field label="Username" errors={fields.username}>
        <TextInput name="new-username" value={username} onChange={(e) => setUsername(e.target.value)} required />
      </Field>
      <Field label="Password" errors={fields.password} hint="At least 12 characters.">
        <TextInput name="new-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      </Field>
      <Field label="Role">
        <Select name="new-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </Select>
      </Field>
      <div className="pt-6">
        <Button type="submit" disabled={create.isPending}>
          Create user
        </Button>
      </div>
      {create.error && !Object.keys(fields).length ? (
        <div className="col-span-4">
          <Alert>{errorMessage(create.error)}</Alert>
        </div>
      ) : null}
    </form>
  );
}

export default function UsersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useMe();
  const users = useQuery(trpc.users.list.queryOptions());
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const [notice, setNotice] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const report = { onSuccess: refresh, onError: (e: unknown) => setNotice({ kind: 'error', text: errorMessage(e) }) };
  const setRole = useMutation(trpc.users.setRole.mutationOptions(report));
  const remove = useMutation(trpc.users.remove.mutationOptions({ ...report, onSettled: () => setDeleting(null) }));
  const [deleting, setDeleting] = useState<{ id: string; username: string } | null>(null);
  const reset = useMutation(
    trpc.users.resetPassword.mutationOptions({
      onSuccess: () => setNotice({ kind: 'success', text: 'Password reset; that user was signed out everywhere.' }),
      onError: report.onError,
    }),
  );

  return (
    <>
      <PageHeader title="Users" subtitle="Admins manage everything; operators manage containers, images, volumes and networks; viewers only read." />
      <div className="space-y-4">
        <Card title="New user">
          <CreateUserForm onDone={refresh} />
        </Card>
        <Card title="All users">
          {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
          {users.error ? <Alert>{errorMessage(users.error)}</Alert> : null}
          <DataTable
            rows={users.data ?? []}
            rowKey={(u) => String(u.id)}
            className="mt-2"
            rowProps={(u) => ({ 'data-testid': `user-row-${u.username}` })}
            columns={[
              {
                key: 'username',
                header: 'Username',
                className: 'font-medium',
                cell: (u) => (
                  <>
                    {u.username}
                    {u.id === me.data?.user?.id ? <span className="ml-2 text-xs text-slate-500">(you)</span> : null}
                  </>
                ),
              },
              {
                key: 'role',
                header: 'Role',
                cell: (u) => (
                  <Select
                    aria-label={`Role of ${u.username}`}
                    className="w-32"
                    value={u.role}
                    onChange={(e) => {
                      setNotice(null);
                      setRole.mutate({ id: u.id, role: e.target.value as Role });
                    }}
                  >
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </Select>
                ),
              },
              { key: 'created', header: 'Created', className: 'tabular-nums', cell: (u) => u.createdAt.toLocaleString() },
              {
                key: 'actions',
                header: 'Actions',
                align: 'right',
                className: 'space-x-2',
                cell: (u) => (
                  <>
                    <Button
                      variant="secondary"
                      onClick={() => {
                        const password = window.prompt(`New password for ${u.username} (at least 12 characters)`);
                        if (password) reset.mutate({ id: u.id, password });
                      }}
                    >
                      Reset password
                    </Button>
                    <Button variant="danger" onClick={() => setDeleting(u)}>
                      Delete
                    </Button>
                  </>
                ),
              },
            ]}
          />
        </Card>
      </div>
      {deleting ? (
        <ConfirmDialog
          title={`Delete the user ${deleting.username}?`}
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            setNotice(null);
            remove.mutate({ id: deleting.id });
          }}
        >
          <p>Their sessions end at once.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
