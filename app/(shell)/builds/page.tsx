'use client';

import { BuildPage } from '@/components/builds/build-page';
import { PageHeader } from '@/components/ui/controls';

export default function BuildsPage() {
  return (
    <>
      <PageHeader title="Builds" subtitle="The output streams step by step as the engine builds; errors point at their line." />
      <BuildPage />
    </>
  );
}
