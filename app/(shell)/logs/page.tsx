import { LogsPage } from '@/components/logs-search/logs-page';
import { PageHeader } from '@/components/ui/controls';

export default function Logs() {
  return (
    <>
      <PageHeader title="Logs" subtitle="Search every container's log, removed ones included, and follow several at once." />
      <LogsPage />
    </>
  );
}
