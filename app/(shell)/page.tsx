import { NotAvailable } from '@/components/ui/not-available';
import { PageHeader } from '@/components/ui/controls';

export default function OverviewPage() {
  return (
    <>
      <PageHeader title="Overview" subtitle="Containers, images and disk use on this machine." />
      <NotAvailable what="The engine overview" arrivesWith="the runtime core issue" />
    </>
  );
}
