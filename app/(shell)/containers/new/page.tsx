'use client';

import { useSearchParams } from 'next/navigation';
import { Suspense } from 'react';
import { CreateContainerForm } from '@/components/containers/create-form';
import { PageHeader } from '@/components/ui/controls';

function Form() {
  const params = useSearchParams();
  return <CreateContainerForm initialImage={params.get('image') ?? ''} />;
}

export default function NewContainerPage() {
  return (
    <>
      <PageHeader title="New container" subtitle="The same options as docker run. The server checks every field." />
      <Suspense>
        <Form />
      </Suspense>
    </>
  );
}
