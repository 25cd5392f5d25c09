'use client';
// Pieces the volumes and networks pages share: the create/prune toolbar, the inspect card and the
// "used by" links.
import Link from 'next/link';
import type { ReactNode } from 'react';
import { JsonTree } from '../containers/json-tree';
import { errorMessage } from '../trpc/react';
import { Alert, Button, Card } from './controls';

/** The create form (its fields as children) with a "Prune unused" button at the far end. */
export function CreateAndPruneBar({ onCreate, onPrune, children }: { onCreate: () => void; onPrune: () => void; children: ReactNode }) {
  return (
    <Card>
      <form
        className="flex flex-wrap items-center gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          onCreate();
        }}
      >
        {children}
        <span className="flex-1" />
        <Button variant="secondary" onClick={onPrune}>
          Prune unused
        </Button>
      </form>
    </Card>
  );
}

/** A resource's inspect JSON (or the query's error) in a closable card. */
export function InspectCard({ title, testId, value, error, onClose }: { title: string; testId: string; value: unknown; error: unknown; onClose: () => void }) {
  return (
    <Card title={title} actions={<Button variant="ghost" onClick={onClose}>Close</Button>}>
      {error ? <Alert>{errorMessage(error)}</Alert> : null}
      {value ? (
        <div data-testid={testId}>
          <JsonTree value={value} />
        </div>
      ) : null}
    </Card>
  );
}

/** Links to the containers using a resource, or a dash. */
export function UsedByLinks({ users }: { users: { id: string; name: string }[] }) {
  if (!users.length) return <>—</>;
  return (
    <>
      {users.map((c) => (
        <Link key={c.id} href={`/containers/${c.id}`} className="mr-2 text-sky-700 hover:underline dark:text-sky-400">
          {c.name}
        </Link>
      ))}
    </>
  );
}
