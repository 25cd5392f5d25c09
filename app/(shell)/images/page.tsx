import { ImagesList } from '@/components/images/images-list';
import { PageHeader } from '@/components/ui/controls';

export default function ImagesPage() {
  return (
    <>
      <PageHeader title="Images" subtitle="Live from the engine's image and container events." />
      <ImagesList />
    </>
  );
}
