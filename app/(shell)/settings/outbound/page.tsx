'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useHasRole } from '@/components/auth/use-role';
import { errorMessage, useTRPC } from '@/components/trpc/react';
import { Alert, Button, Card, PageHeader } from '@/components/ui/controls';
import { RoleNotice } from '@/components/auth/role-notice';

export default function OutboundPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const isAdmin = useHasRole('admin');
  const q = useQuery(trpc.settings.outbound.queryOptions());
  const set = useMutation(trpc.settings.setOutbound.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.settings.outbound.queryKey() }) }));
  const on = q.data?.enabled ?? false;
  return (
    <>
      <PageHeader title="Outbound network access" subtitle="Whether bridged containers get a default route and nameservers." />
      <Card>
        <div className="space-y-3 text-sm">
          <Alert>
            <strong>Warning.</strong> On the hosts Berth is developed on, IP forwarding is on (<code>net.ipv4.ip_forward = 1</code>) and the host&apos;s resolver sits at a
            private address. A container with a default route through the host, or with the host&apos;s <code>resolv.conf</code>, would send packets to addresses that must
            never be contacted from there. So by default a bridged container gets <strong>no default route</strong> (it reaches its subnet only) and a <code>resolv.conf</code>{' '}
            <strong>without nameservers</strong>.
          </Alert>
          <p data-testid="outbound-state">
            Outbound access is <strong>{on ? 'on' : 'off'}</strong>. The embedded engine reads this setting when it starts: a change applies after Berth restarts.
          </p>
          {set.error ? <Alert>{errorMessage(set.error)}</Alert> : null}
          {isAdmin ? (
            <Button variant={on ? 'secondary' : 'danger'} disabled={set.isPending || !q.data} onClick={() => set.mutate({ enabled: !on })}>
              {on ? 'Turn outbound access off' : 'Turn outbound access on'}
            </Button>
          ) : (
            <RoleNotice need="admin">Changing it needs the admin role.</RoleNotice>
          )}
        </div>
      </Card>
    </>
  );
}
