'use client';

import { useParams } from 'next/navigation';
import { LayerInspector } from '@/components/layers/layer-inspector';

export default function LayersPage() {
  const { ref } = useParams<{ ref: string }>();
  const image = decodeURIComponent(ref);
  return <LayerInspector key={image} image={image} />;
}
