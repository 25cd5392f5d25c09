import { Overview } from '@/components/overview/overview';
import { PageHeader } from '@/components/ui/controls';

export default function OverviewPage() {
  return (
    <>
      <PageHeader title="Overview" subtitle="Containers, images and the engine of the chosen endpoint." />
      <Overview />
    </>
  );
}
