import { NotAvailable } from '@/components/ui/not-available';
import { PageHeader } from '@/components/ui/controls';

export default function NetworksPage() {
  return (
    <>
      <PageHeader title="Networks" />
      <NotAvailable what="Networks" arrivesWith="the runtime I/O issue" />
    </>
  );
}
