'use client';

import { useMe } from '@/components/auth/use-me';
import { useHasRole } from '@/components/auth/use-role';
import { EndpointsSettings } from '@/components/settings/endpoints';
import { Alert, PageHeader } from '@/components/ui/controls';

export default function EndpointsPage() {
  const me = useMe();
  const isAdmin = useHasRole('admin');
  return (
    <>
      <PageHeader title="Endpoints" subtitle="Other Docker engines this dashboard can drive: a unix socket, or TCP with TLS. Switch between them in the header." />
      {/* Until the role is known say nothing: an admin must not see the refusal flash by. */}
      {me.isPending ? <p className="text-sm text-slate-500">Loading…</p> : isAdmin ? <EndpointsSettings /> : <Alert>Managing endpoints needs the admin role.</Alert>}
    </>
  );
}
