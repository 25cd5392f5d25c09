import { NotAvailable } from '@/components/ui/not-available';
import { PageHeader } from '@/components/ui/controls';

export default function ContainersPage() {
  return (
    <>
      <PageHeader title="Containers" />
      <NotAvailable what="Containers" arrivesWith="the runtime core issue" />
    </>
  );
}
