'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '../trpc/react';
import { Alert } from '../ui/controls';

/** The login page's single sign-on part: the button when OIDC is set up, and the IdP flow's error if any. */
export function SsoSignIn() {
  const trpc = useTRPC();
  const methods = useQuery(trpc.identity.methods.queryOptions());
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setError(new URLSearchParams(window.location.search).get('error')), []);
  const oidc = methods.data?.oidc;
  return (
    <div className="mb-4 space-y-3">
      {error ? <Alert>{error}</Alert> : null}
      {oidc ? (
        <a
          href={oidc.startUrl}
          className="block w-full rounded-md border border-slate-300 px-3 py-2 text-center text-sm font-medium hover:bg-slate-50 dark:border-slate-700 dark:hover:bg-slate-800"
        >
          Sign in with single sign-on
        </a>
      ) : null}
      {methods.data && !methods.data.localEnabled ? (
        <p className="text-xs text-slate-500">Password sign-in is kept for the break-glass admin only.</p>
      ) : null}
    </div>
  );
}
