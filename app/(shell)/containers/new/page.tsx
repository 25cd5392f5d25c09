'use client';

import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'next/navigation';
import { Suspense } from 'react';
import { CreateContainerForm } from '@/components/containers/create-form';
import { errorMessage, useTRPC } from '@/components/trpc/react';
import { Alert, PageHeader } from '@/components/ui/controls';

/** ?image=REF: a blank form for that image. ?from=ID&mode=duplicate|edit: prefilled from a container. */
function Form() {
  const params = useSearchParams();
  const trpc = useTRPC();
  const from = params.get('from');
  const mode = params.get('mode') === 'edit' ? 'edit' : 'duplicate';
  const source = useQuery(trpc.containers.formOf.queryOptions({ id: from ?? '' }, { enabled: Boolean(from), staleTime: Infinity }));
  if (!from) {
    return (
      <>
        <PageHeader title="New container" subtitle="The same options as docker run. The server checks every field." />
        <CreateContainerForm mode={{ kind: 'create', image: params.get('image') ?? '' }} />
      </>
    );
  }
  if (source.error) return <Alert>{errorMessage(source.error)}</Alert>;
  if (!source.data) return <p className="text-sm text-slate-500">Reading the container’s settings…</p>;
  const name = source.data.form.name;
  return (
    <>
      <PageHeader
        title={mode === 'edit' ? `Edit ${name}` : `Duplicate ${name}`}
        subtitle={mode === 'edit' ? 'Change its settings; Recreate replaces the container with a new one under the same name.' : 'A new container with the same settings. Give it a name of its own.'}
      />
      <CreateContainerForm key={`${from}-${mode}`} mode={{ kind: mode, from, initial: source.data.form }} />
    </>
  );
}

export default function NewContainerPage() {
  return (
    <Suspense>
      <Form />
    </Suspense>
  );
}
