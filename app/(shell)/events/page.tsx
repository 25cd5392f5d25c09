import { NotAvailable } from '@/components/ui/not-available';
import { PageHeader } from '@/components/ui/controls';

export default function EventsPage() {
  return (
    <>
      <PageHeader title="Events" />
      <NotAvailable what="Events" arrivesWith="the dashboard issues" />
    </>
  );
}
