'use client';

import { IdentitySettings } from '@/components/identity/identity-settings';
import { PageHeader } from '@/components/ui/controls';

export default function IdentityPage() {
  return (
    <>
      <PageHeader title="Identity" subtitle="Single sign-on, role mappings and local accounts." />
      <IdentitySettings />
    </>
  );
}
