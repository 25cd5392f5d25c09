import { NotAvailable } from '@/components/ui/not-available';
import { PageHeader } from '@/components/ui/controls';

export default function VolumesPage() {
  return (
    <>
      <PageHeader title="Volumes" />
      <NotAvailable what="Volumes" arrivesWith="the runtime I/O issue" />
    </>
  );
}
