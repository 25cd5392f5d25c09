'use client';

import { useHasRole } from '@/components/auth/use-role';
import { EndpointsSettings } from '@/components/settings/endpoints';
import { Alert, PageHeader } from '@/components/ui/controls';

export default function EndpointsPage() {
  const isAdmin = useHasRole('admin');
  return (
    <>
      <PageHeader title="Endpoints" subtitle="Other Docker engines this dashboard can drive: a unix socket, or TCP with TLS. Switch between them in the header." />
      {isAdmin ? <EndpointsSettings /> : <Alert>Managing endpoints needs the admin role.</Alert>}
    </>
  );
}
