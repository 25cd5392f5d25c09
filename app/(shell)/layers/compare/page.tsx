'use client';

import { useSearchParams } from 'next/navigation';
import { Suspense } from 'react';
import { CompareView } from '@/components/layers/compare-view';
import { Alert } from '@/components/ui/controls';

function Compare() {
  const params = useSearchParams();
  const a = params.get('a');
  const b = params.get('b');
  if (!a || !b) return <Alert>Pick two images: /layers/compare?a=IMAGE&b=IMAGE (or use “Compare with…” on an image’s Layers page).</Alert>;
  return <CompareView key={`${a}|${b}`} a={a} b={b} />;
}

export default function ComparePage() {
  return (
    <Suspense>
      <Compare />
    </Suspense>
  );
}
