'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useHasRole } from '@/components/auth/use-role';
import { errorMessage, fieldErrorsOf, useTRPC } from '@/components/trpc/react';
import { Alert, Button, Card, Field, PageHeader, Select, TextInput } from '@/components/ui/controls';
import { RoleNotice } from '@/components/auth/role-notice';

type Defaults = { memory: string; cpus: string; pidsLimit: string; restart: 'no' | 'always' | 'unless-stopped' | 'on-failure'; network: string };

export default function DefaultsPage() {
  const trpc = useTRPC();
  const isAdmin = useHasRole('admin');
  const q = useQuery(trpc.settings.containerDefaults.queryOptions());
  const [form, setForm] = useState<Defaults | null>(null);
  useEffect(() => {
    if (q.data && !form) setForm(q.data);
  }, [q.data, form]);
  const save = useMutation(trpc.settings.setContainerDefaults.mutationOptions());
  const fe = fieldErrorsOf(save.error);
  return (
    <>
      <PageHeader title="Defaults for new containers" subtitle="The create form starts from these; each field can still be changed there." />
      <Card>
        {form ? (
          <form
            aria-label="Container defaults"
            className="space-y-3"
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate(form);
            }}
          >
            <fieldset disabled={!isAdmin} className="grid grid-cols-2 gap-3 lg:grid-cols-5">
              <Field label="Memory" errors={fe.memory} hint="e.g. 256m">
                <TextInput value={form.memory} onChange={(e) => setForm({ ...form, memory: e.target.value })} />
              </Field>
              <Field label="CPUs" errors={fe.cpus} hint="e.g. 0.5">
                <TextInput value={form.cpus} onChange={(e) => setForm({ ...form, cpus: e.target.value })} />
              </Field>
              <Field label="Pids limit" errors={fe.pidsLimit}>
                <TextInput value={form.pidsLimit} onChange={(e) => setForm({ ...form, pidsLimit: e.target.value })} />
              </Field>
              <Field label="Restart policy">
                <Select value={form.restart} onChange={(e) => setForm({ ...form, restart: e.target.value as Defaults['restart'] })}>
                  <option value="no">no</option>
                  <option value="on-failure">on-failure</option>
                  <option value="unless-stopped">unless-stopped</option>
                  <option value="always">always</option>
                </Select>
              </Field>
              <Field label="Network" errors={fe.network} hint="empty: the engine's default">
                <TextInput value={form.network} onChange={(e) => setForm({ ...form, network: e.target.value })} />
              </Field>
            </fieldset>
            {save.error && !Object.keys(fe).length ? <Alert>{errorMessage(save.error)}</Alert> : null}
            {save.isSuccess ? <Alert kind="success">Saved.</Alert> : null}
            {isAdmin ? (
              <Button type="submit" disabled={save.isPending}>
                Save defaults
              </Button>
            ) : (
              <RoleNotice need="admin">Changing defaults needs the admin role.</RoleNotice>
            )}
          </form>
        ) : (
          <p className="text-sm text-slate-500">Loading…</p>
        )}
      </Card>
    </>
  );
}
