'use client';

import { NewStack } from '@/components/stacks/new-stack';
import { PageHeader } from '@/components/ui/controls';

export default function NewStackPage() {
  return (
    <>
      <PageHeader title="New stack" subtitle="Write or upload a compose file; problems show at their line as you type." />
      <NewStack />
    </>
  );
}
