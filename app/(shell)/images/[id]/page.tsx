'use client';

import { useParams } from 'next/navigation';
import { Suspense } from 'react';
import { ImageDetail } from '@/components/images/image-detail';

export default function ImagePage() {
  const { id } = useParams<{ id: string }>();
  return (
    <Suspense>
      <ImageDetail id={decodeURIComponent(id)} />
    </Suspense>
  );
}
