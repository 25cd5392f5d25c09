'use client';

import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Alert, Button, Card, Field, PageHeader, TextInput } from '@/components/ui/controls';
import { errorMessage, fieldErrorsOf, useTRPC } from '@/components/trpc/react';
import { ApiTokens } from '@/components/identity/api-tokens';
import { Sessions } from '@/components/identity/sessions';
import { useMe } from '@/components/auth/use-me';

export default function AccountPage() {
  const trpc = useTRPC();
  const isAdmin = useMe().data?.user?.role === 'admin';
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useMutation(trpc.auth.changePassword.mutationOptions({ onSuccess: () => (setCurrent(''), setNext('')) }));
  const fields = fieldErrorsOf(change.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    change.mutate({ currentPassword: current, newPassword: next });
  };
  return (
    <>
      <PageHeader title="Account" />
      <div className="max-w-md">
        <Card title="Change password">
          <form onSubmit={submit} className="space-y-4">
            {change.isSuccess ? <Alert kind="success">Password changed. Your other sessions were signed out.</Alert> : null}
            {change.error && !Object.keys(fields).length ? <Alert>{errorMessage(change.error)}</Alert> : null}
            <Field label="Current password" errors={fields.currentPassword}>
              <TextInput type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
            </Field>
            <Field label="New password" errors={fields.newPassword} hint="At least 12 characters.">
              <TextInput type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required />
            </Field>
            <Button type="submit" disabled={change.isPending}>
              Change password
            </Button>
          </form>
        </Card>
      </div>
      <div className="mt-4 space-y-4">
        <ApiTokens />
        <Sessions />
        {isAdmin ? <Sessions all /> : null}
        {isAdmin ? <ApiTokens all /> : null}
      </div>
    </>
  );
}
