import { EventsView } from '@/components/events/events-view';
import { PageHeader } from '@/components/ui/controls';

export default function EventsPage() {
  return (
    <>
      <PageHeader title="Events" subtitle="What the engine does, as it happens: the last hour, then live." />
      <EventsView />
    </>
  );
}
