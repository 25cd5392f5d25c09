'use client';

import Link from 'next/link';
import { useState } from 'react';
import { useTRPCClient } from '../trpc/react';
import { Alert, Button, Card, TextInput } from '../ui/controls';
import { ProgressBars } from './progress-bars';
import { useProgressRun } from './use-progress-run';

/** Pull by reference with one progress bar per layer, fed by the engine's progress stream. */
export function PullPanel() {
  const client = useTRPCClient();
  const [ref, setRef] = useState('');
  const run = useProgressRun();
  const pull = () =>
    run.start((h) => client.images.pull.subscribe({ ref: ref.trim() }, h));
  return (
    <Card
      title="Pull an image"
      actions={
        <Link href="/settings/registries" className="text-sm text-sky-700 hover:underline dark:text-sky-400">
          Browse a registry →
        </Link>
      }
    >
      <form
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (ref.trim()) pull();
        }}
      >
        <TextInput aria-label="Image reference" placeholder="busybox:latest or 127.0.0.1:5000/app:1" value={ref} onChange={(e) => setRef(e.target.value)} />
        <Button type="submit" disabled={!ref.trim() || run.state === 'running'}>
          Pull
        </Button>
        {run.state === 'running' ? (
          <Button variant="secondary" onClick={run.cancel}>
            Cancel
          </Button>
        ) : null}
      </form>
      <div className="mt-3 space-y-2">
        <ProgressBars layers={run.layers} testId="pull-progress" />
        {run.state === 'failed' ? <Alert>{run.message}</Alert> : null}
        {run.state === 'done' ? (
          <Alert kind="success">
            <span data-testid="pull-done">{run.message || 'Pulled.'}</span>
          </Alert>
        ) : null}
      </div>
    </Card>
  );
}
