import { NetworksView } from '@/components/networks/networks-view';
import { PageHeader } from '@/components/ui/controls';

export default function NetworksPage() {
  return (
    <>
      <PageHeader title="Networks" subtitle="Bridge networks and the containers attached to each, live." />
      <NetworksView />
    </>
  );
}
