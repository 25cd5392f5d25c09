'use client';

import { useSearchParams } from 'next/navigation';
import { Suspense } from 'react';
import { CompareView } from '@/components/layers/compare-view';
import { CompareStart } from '@/components/layers/compare-start';

function Compare() {
  const params = useSearchParams();
  const a = params.get('a');
  const b = params.get('b');
  if (!a || !b) return <CompareStart a={a ?? ''} b={b ?? ''} />;
  return <CompareView key={`${a}|${b}`} a={a} b={b} />;
}

export default function ComparePage() {
  return (
    <Suspense>
      <Compare />
    </Suspense>
  );
}
