'use client';

import { useParams } from 'next/navigation';
import { StackDetailView } from '@/components/stacks/stack-detail';

export default function StackPage() {
  const { name } = useParams<{ name: string }>();
  return <StackDetailView name={decodeURIComponent(name)} />;
}
