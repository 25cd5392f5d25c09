'use client';

import { useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '../trpc/react';
import { Button, Select } from '../ui/controls';

/** "Compare with…": picks a second local image and opens the split view. */
export function ComparePicker({ image }: { image: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const choices = useQuery(trpc.containers.imageChoices.queryOptions(undefined, { staleTime: 30_000 }));
  const [other, setOther] = useState('');
  return (
    <div className="flex items-center gap-2">
      <Select aria-label="Compare with" value={other} onChange={(e) => setOther(e.target.value)} className="w-56">
        <option value="">Compare with…</option>
        {(choices.data ?? [])
          .filter((c) => c !== image)
          .map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
      </Select>
      <Button variant="secondary" disabled={!other} onClick={() => router.push(`/layers/compare?a=${encodeURIComponent(image)}&b=${encodeURIComponent(other)}`)}>
        Compare
      </Button>
    </div>
  );
}
