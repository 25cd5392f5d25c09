'use client';

import Link from 'next/link';
import { useHasRole } from '@/components/auth/use-role';
import { ContainersList } from '@/components/containers/containers-list';
import { PageHeader } from '@/components/ui/controls';

export default function ContainersPage() {
  const canOperate = useHasRole('operator');
  return (
    <>
      <PageHeader
        title="Containers"
        subtitle="Live from the engine's events; CPU and memory stream for the running rows."
        actions={
          canOperate ? (
            <Link href="/containers/new" className="rounded-md bg-sky-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-700">
              New container
            </Link>
          ) : null
        }
      />
      <ContainersList />
    </>
  );
}
