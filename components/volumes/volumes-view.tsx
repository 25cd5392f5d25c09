'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { useHasRole } from '../auth/use-role';
import { ConfirmDialog } from '../images/confirm-dialog';
import { errorMessage, useTRPC } from '../trpc/react';
import type { RouterOutputs } from '../trpc/types';
import { Alert, Button, TextInput } from '../ui/controls';
import { DataTable } from '../ui/data-table';
import { EmptyState } from '../ui/empty-state';
import { formatBytes } from '../ui/format';
import { CreateAndPruneBar, InspectCard, UsedByLinks } from '../ui/resource-parts';

type VolumeRow = RouterOutputs['volumes']['list'][number];

function Inspect({ name, onClose }: { name: string; onClose: () => void }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.volumes.inspect.queryOptions({ name }));
  return <InspectCard title={`Volume ${name}`} testId="volume-inspect" value={q.data?.volume} error={q.error} onClose={onClose} />;
}

export function VolumesView() {
  const trpc = useTRPC();
  const canOperate = useHasRole('operator');
  const [rows, setRows] = useState<VolumeRow[] | null>(null);
  const sub = useSubscription(trpc.volumes.watchList.subscriptionOptions(undefined, { onData: setRows }));
  const [name, setName] = useState('');
  const [notice, setNotice] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const [inspecting, setInspecting] = useState<string | null>(null);
  const [removing, setRemoving] = useState<VolumeRow | null>(null);
  const [pruneAsk, setPruneAsk] = useState(false);
  const onError = (e: unknown) => setNotice({ kind: 'error', text: errorMessage(e) });
  const create = useMutation(trpc.volumes.create.mutationOptions({ onSuccess: (v) => (setName(''), setNotice({ kind: 'success', text: `Created ${v.name}.` })), onError }));
  const remove = useMutation(trpc.volumes.remove.mutationOptions({ onSettled: () => setRemoving(null), onError }));
  const prune = useMutation(
    trpc.volumes.prune.mutationOptions({
      onSuccess: (r) => setNotice({ kind: 'success', text: `Pruned ${r.deleted.length} volume(s); reclaimed ${formatBytes(r.spaceReclaimed)}.` }),
      onError,
      onSettled: () => setPruneAsk(false),
    }),
  );
  return (
    <div className="space-y-4">
      {canOperate ? (
        <CreateAndPruneBar onCreate={() => create.mutate({ name: name.trim(), labels: [] })} onPrune={() => setPruneAsk(true)}>
          <TextInput aria-label="Volume name" className="w-64" placeholder="Name (empty: generated)" value={name} onChange={(e) => setName(e.target.value)} />
          <Button type="submit" disabled={create.isPending}>
            Create volume
          </Button>
        </CreateAndPruneBar>
      ) : null}
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      {inspecting ? <Inspect name={inspecting} onClose={() => setInspecting(null)} /> : null}
      <DataTable
        rows={rows ?? undefined}
        testId="volumes-table"
        rowKey={(v) => v.name}
        rowProps={(v) => ({ 'data-testid': 'volume-row', 'data-name': v.name })}
        alignTop
        empty={
          <EmptyState title="No volumes" testId="volumes-empty">
            Create one here, or mount a named volume in a new container.
          </EmptyState>
        }
        columns={[
          { key: 'name', header: 'Name', cell: (v) => v.name, sortValue: (v) => v.name, className: 'font-medium break-all' },
          { key: 'driver', header: 'Driver', cell: (v) => v.driver, hideBelow: 'sm' },
          { key: 'mountpoint', header: 'Mountpoint', cell: (v) => v.mountpoint, hideBelow: 'md', className: 'max-w-xs truncate font-mono text-xs', cellProps: (v) => ({ title: v.mountpoint }) },
          { key: 'users', header: 'Used by', cell: (v) => <UsedByLinks users={v.usedBy} />, sortValue: (v) => v.usedBy.length, cellProps: () => ({ 'data-testid': 'volume-users' }) },
          {
            key: 'actions',
            header: 'Actions',
            align: 'right',
            cell: (v) => (
              <>
                <Button variant="ghost" onClick={() => setInspecting(v.name)}>
                  Inspect
                </Button>
                {canOperate ? (
                  <Button variant="ghost" className="text-rose-600" onClick={() => setRemoving(v)}>
                    Remove
                  </Button>
                ) : null}
              </>
            ),
          },
        ]}
      />
      {removing ? (
        <ConfirmDialog title={`Remove volume ${removing.name}?`} confirmLabel="Remove" busy={remove.isPending} onCancel={() => setRemoving(null)} onConfirm={() => remove.mutate({ name: removing.name, force: false })}>
          {removing.usedBy.length ? <p>In use by {removing.usedBy.map((c) => c.name).join(', ')}: the engine refuses until they are removed.</p> : <p>Its data is deleted.</p>}
        </ConfirmDialog>
      ) : null}
      {pruneAsk ? (
        <ConfirmDialog title="Prune unused volumes?" confirmLabel="Prune" busy={prune.isPending} onCancel={() => setPruneAsk(false)} onConfirm={() => prune.mutate()}>
          <p>Deletes every anonymous volume no container uses.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
