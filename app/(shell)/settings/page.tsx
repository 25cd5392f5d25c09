'use client';

import Link from 'next/link';
import { useMe } from '@/components/auth/use-me';
import { Card, PageHeader } from '@/components/ui/controls';

export default function SettingsPage() {
  const me = useMe();
  const isAdmin = me.data?.user?.role === 'admin';
  return (
    <>
      <PageHeader title="Settings" />
      <div className="grid grid-cols-2 gap-4">
        <Card title="Account">
          <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Your password, API tokens and sessions.</p>
          <Link href="/settings/account" className="text-sm font-medium text-sky-600 hover:underline">
            Open account settings →
          </Link>
        </Card>
        {isAdmin ? (
          <Card title="Users">
            <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Create users, change roles, reset passwords.</p>
            <Link href="/settings/users" className="text-sm font-medium text-sky-600 hover:underline">
              Manage users →
            </Link>
          </Card>
        ) : null}
        {isAdmin ? (
          <Card title="Identity">
            <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Single sign-on (OIDC), role mappings, local accounts.</p>
            <Link href="/settings/identity" className="text-sm font-medium text-sky-600 hover:underline">
              Open identity settings →
            </Link>
          </Card>
        ) : null}
        {isAdmin ? (
          <Card title="Endpoints">
            <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Remote Docker engines over a unix socket or TCP with TLS.</p>
            <Link href="/settings/endpoints" className="text-sm font-medium text-sky-600 hover:underline">
              Manage endpoints →
            </Link>
          </Card>
        ) : null}
        <Card title="Registries">
          <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Logins for pulls and pushes, encrypted at rest.</p>
          <Link href="/settings/registries" className="text-sm font-medium text-sky-600 hover:underline">
            Manage registries →
          </Link>
        </Card>
        <Card title="Defaults for new containers">
          <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Limits, restart policy and network the create form starts from.</p>
          <Link href="/settings/defaults" className="text-sm font-medium text-sky-600 hover:underline">
            Edit defaults →
          </Link>
        </Card>
        <Card title="Outbound network access">
          <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Default route and nameservers for bridged containers (off by default).</p>
          <Link href="/settings/outbound" className="text-sm font-medium text-sky-600 hover:underline">
            Open outbound settings →
          </Link>
        </Card>
        <Card title="User namespaces">
          <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Whether root in a container is root on the host (host, remap or auto).</p>
          <Link href="/settings/userns" className="text-sm font-medium text-sky-600 hover:underline">
            Open user namespace settings →
          </Link>
        </Card>
      </div>
    </>
  );
}
