'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useHasRole } from '@/components/auth/use-role';
import { errorMessage, useTRPC } from '@/components/trpc/react';
import { Alert, Button, Card, PageHeader } from '@/components/ui/controls';
import { RoleNotice } from '@/components/auth/role-notice';

const MODES = [
  { mode: 'host', label: 'Host', text: "Root in a container is the host's root (Docker's default)." },
  { mode: 'remap', label: 'Remap', text: "Every container shares one subordinate range of the berth user (Docker's userns-remap)." },
  { mode: 'auto', label: 'Auto', text: 'Each container gets its own 65,536 ids, never shared with another (Podman’s --userns=auto).' },
] as const;

export default function UsernsPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const isAdmin = useHasRole('admin');
  const q = useQuery(trpc.settings.userns.queryOptions());
  const set = useMutation(trpc.settings.setUserns.mutationOptions({ onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.settings.userns.queryKey() }) }));
  const current = q.data?.mode ?? q.data?.env ?? 'host';
  return (
    <>
      <PageHeader title="User namespaces" subtitle="The default for new containers; a container can still opt out (host) or in (auto) on its own." />
      <Card>
        <div className="space-y-3 text-sm">
          <p data-testid="userns-state">
            The default is <strong>{current}</strong>
            {q.data && !q.data.mode ? ' (from BERTH_USERNS or the built-in default)' : ''}. The embedded engine reads this setting when it starts: a change applies after
            Berth restarts. Privileged containers always run with the host&apos;s ids.
          </p>
          {set.error ? <Alert>{errorMessage(set.error)}</Alert> : null}
          <ul className="space-y-2">
            {MODES.map((m) => (
              <li key={m.mode} className="flex items-center gap-3">
                {isAdmin ? (
                  <Button variant={current === m.mode ? 'primary' : 'secondary'} disabled={set.isPending || !q.data} onClick={() => set.mutate({ mode: m.mode })}>
                    {m.label}
                  </Button>
                ) : (
                  <strong className="w-16">{m.label}</strong>
                )}
                <span className="text-slate-600 dark:text-slate-400">{m.text}</span>
              </li>
            ))}
          </ul>
          <RoleNotice need="admin">Changing it needs the admin role.</RoleNotice>
        </div>
      </Card>
    </>
  );
}
