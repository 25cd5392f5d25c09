'use client';

import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { AuthCard } from '@/components/auth/auth-card';
import { useMe } from '@/components/auth/use-me';
import { Alert, Button, Field, TextInput } from '@/components/ui/controls';
import { errorMessage, fieldErrorsOf, useTRPC } from '@/components/trpc/react';

const MIN_PASSWORD = 12;

export default function SetupPage() {
  const trpc = useTRPC();
  const me = useMe();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [token, setToken] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const setup = useMutation(trpc.auth.setup.mutationOptions({ onSuccess: () => window.location.assign('/') }));
  const fields = fieldErrorsOf(setup.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(password !== confirm);
    if (password !== confirm) return;
    setup.mutate({ username, password, setupToken: token || undefined });
  };
  return (
    <AuthCard title="Create the admin account" subtitle="Berth has no users yet. This account manages everything, other users included.">
      <form onSubmit={submit} className="space-y-4">
        {setup.error && !Object.keys(fields).length ? <Alert>{errorMessage(setup.error)}</Alert> : null}
        <Field label="Username" errors={fields.username}>
          <TextInput name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </Field>
        <Field label="Password" errors={fields.password} hint={`At least ${MIN_PASSWORD} characters.`}>
          <TextInput name="password" type="password" autoComplete="new-password" value={password} onChange={(e) => {
              setPassword(e.target.value);
              // A length error was about the old password; it must not stay under a new one.
              if (setup.error) setup.reset();
            }} required />
        </Field>
        <Field label="Confirm password" errors={mismatch ? ['The passwords differ.'] : undefined}>
          <TextInput name="confirm" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} required />
        </Field>
        {me.data?.setupTokenRequired ? (
          <Field label="Setup token" errors={fields.setupToken} hint="Printed in the server console at start; only a browser on the server itself (localhost) goes without it.">
            <TextInput name="setupToken" value={token} onChange={(e) => setToken(e.target.value)} required />
          </Field>
        ) : null}
        <Button type="submit" className="w-full" disabled={setup.isPending}>
          {setup.isPending ? 'Creating…' : 'Create admin and sign in'}
        </Button>
      </form>
    </AuthCard>
  );
}
