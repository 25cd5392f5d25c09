import { NotAvailable } from '@/components/ui/not-available';
import { PageHeader } from '@/components/ui/controls';

export default function BuildsPage() {
  return (
    <>
      <PageHeader title="Builds" />
      <NotAvailable what="Builds" arrivesWith="the builder issue" />
    </>
  );
}
