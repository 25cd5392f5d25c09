'use client';

import Link from 'next/link';
import { useHasRole } from '@/components/auth/use-role';
import { StacksList } from '@/components/stacks/stacks-list';
import { PageHeader } from '@/components/ui/controls';

export default function StacksPage() {
  const canOperate = useHasRole('operator');
  return (
    <>
      <PageHeader
        title="Stacks"
        subtitle="Compose applications: deployed here, or started by docker-compose against Berth's socket."
        actions={
          canOperate ? (
            <Link href="/stacks/new" className="rounded-md bg-sky-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-700">
              New stack
            </Link>
          ) : null
        }
      />
      <StacksList />
    </>
  );
}
