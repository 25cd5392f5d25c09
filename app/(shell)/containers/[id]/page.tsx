'use client';

import { useParams } from 'next/navigation';
import { Suspense } from 'react';
import { ContainerDetail } from '@/components/containers/container-detail';

export default function ContainerPage() {
  const { id } = useParams<{ id: string }>();
  return (
    <Suspense>
      <ContainerDetail id={decodeURIComponent(id)} />
    </Suspense>
  );
}
