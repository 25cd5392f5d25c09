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
          <p className="mb-3 text-sm text-slate-600 dark:text-slate-400">Change your own password.</p>
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
        <Card title="Endpoints">
          <p className="text-sm text-slate-500">Remote Docker and Berth endpoints arrive with the dashboard issue. Not available yet.</p>
        </Card>
        <Card title="Registries">
          <p className="text-sm text-slate-500">Registry credentials arrive with the registry issue. Not available yet.</p>
        </Card>
      </div>
    </>
  );
}
