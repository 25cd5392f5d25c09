'use client';

import { RegistriesView } from '@/components/registries/registries-view';
import { PageHeader } from '@/components/ui/controls';

export default function RegistriesPage() {
  return (
    <>
      <PageHeader title="Registries" subtitle="Logins for pulls and pushes, encrypted at rest." />
      <RegistriesView />
    </>
  );
}
