'use client';

import { useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Card, Field, PageHeader, Select } from '../ui/controls';

/** The compare page without a pair yet: pick two local images (or one to inspect alone). */
export function CompareStart({ a: initialA = '', b: initialB = '' }: { a?: string; b?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const choices = useQuery(trpc.containers.imageChoices.queryOptions(undefined, { staleTime: 30_000 }));
  const [a, setA] = useState(initialA);
  const [b, setB] = useState(initialB);
  const list = choices.data ?? [];
  return (
    <>
      <PageHeader title="Layers" subtitle="Inspect one image's layers, or compare two: shared layers, where they diverge, and every file that differs." />
      {choices.error ? <Alert>{errorMessage(choices.error)}</Alert> : null}
      <Card>
        <form
          aria-label="Compare images"
          className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            if (a && b) router.push(`/layers/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
            else if (a || b) router.push(`/layers/${encodeURIComponent(a || b)}`);
          }}
        >
          {(
            [
              ['Image A', a, setA],
              ['Image B', b, setB],
            ] as const
          ).map(([label, value, set]) => (
            <Field key={label} label={label}>
              <Select value={value} onChange={(e) => set(e.target.value)}>
                <option value="">Choose…</option>
                {list.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </Select>
            </Field>
          ))}
          <Button type="submit" disabled={!a && !b}>
            {a && b ? 'Compare' : 'Inspect'}
          </Button>
        </form>
        <p className="mt-3 text-xs text-slate-500">Or tick two images on the Images page and press “Compare layers”.</p>
      </Card>
    </>
  );
}
