import { VolumesView } from '@/components/volumes/volumes-view';
import { PageHeader } from '@/components/ui/controls';

export default function VolumesPage() {
  return (
    <>
      <PageHeader title="Volumes" subtitle="Named volumes and the containers that mount them, live." />
      <VolumesView />
    </>
  );
}
