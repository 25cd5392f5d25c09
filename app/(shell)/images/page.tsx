import { NotAvailable } from '@/components/ui/not-available';
import { PageHeader } from '@/components/ui/controls';

export default function ImagesPage() {
  return (
    <>
      <PageHeader title="Images" />
      <NotAvailable what="Images" arrivesWith="the runtime core issue" />
    </>
  );
}
