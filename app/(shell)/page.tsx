import { EngineSummary } from '@/components/overview/engine-summary';
import { PageHeader } from '@/components/ui/controls';

export default function OverviewPage() {
  return (
    <>
      <PageHeader title="Overview" subtitle="Containers, images and the engine on this machine." />
      <EngineSummary />
    </>
  );
}
