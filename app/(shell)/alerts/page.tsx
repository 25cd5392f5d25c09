import { AlertsPage } from '@/components/alerts/alerts-page';
import { PageHeader } from '@/components/ui/controls';

export default function Alerts() {
  return (
    <>
      <PageHeader title="Alerts" subtitle="When a container dies, is OOM-killed, turns unhealthy, flaps, runs hot, logs a pattern, or the disk fills." />
      <AlertsPage />
    </>
  );
}
