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
import { shortId } from '../ui/format';
import { CreateAndPruneBar, InspectCard, UsedByLinks } from '../ui/resource-parts';

type NetworkRow = RouterOutputs['networks']['list'][number];

function Inspect({ id, onClose }: { id: string; onClose: () => void }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.networks.inspect.queryOptions({ id }));
  return <InspectCard title={`Network ${q.data?.Name ?? shortId(id)}`} testId="network-inspect" value={q.data} error={q.error} onClose={onClose} />;
}

export function NetworksView() {
  const trpc = useTRPC();
  const canOperate = useHasRole('operator');
  const [rows, setRows] = useState<NetworkRow[] | null>(null);
  const sub = useSubscription(trpc.networks.watchList.subscriptionOptions(undefined, { onData: setRows }));
  const [form, setForm] = useState({ name: '', subnet: '', gateway: '', internal: false });
  const [notice, setNotice] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const [inspecting, setInspecting] = useState<string | null>(null);
  const [removing, setRemoving] = useState<NetworkRow | null>(null);
  const [pruneAsk, setPruneAsk] = useState(false);
  const onError = (e: unknown) => setNotice({ kind: 'error', text: errorMessage(e) });
  const create = useMutation(
    trpc.networks.create.mutationOptions({ onSuccess: () => (setNotice({ kind: 'success', text: `Created ${form.name}.` }), setForm({ name: '', subnet: '', gateway: '', internal: false })), onError }),
  );
  const remove = useMutation(trpc.networks.remove.mutationOptions({ onSettled: () => setRemoving(null), onError }));
  const prune = useMutation(
    trpc.networks.prune.mutationOptions({ onSuccess: (r) => setNotice({ kind: 'success', text: `Pruned ${r.deleted.length} network(s).` }), onError, onSettled: () => setPruneAsk(false) }),
  );
  return (
    <div className="space-y-4">
      {canOperate ? (
        <CreateAndPruneBar onCreate={() => create.mutate(form)} onPrune={() => setPruneAsk(true)}>
          <TextInput aria-label="Network name" className="w-48" placeholder="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          <TextInput aria-label="Subnet" className="w-44" placeholder="Subnet (auto)" value={form.subnet} onChange={(e) => setForm({ ...form, subnet: e.target.value })} />
          <TextInput aria-label="Gateway" className="w-36" placeholder="Gateway (auto)" value={form.gateway} onChange={(e) => setForm({ ...form, gateway: e.target.value })} />
          <label className="flex items-center gap-1 text-sm">
            <input type="checkbox" checked={form.internal} onChange={(e) => setForm({ ...form, internal: e.target.checked })} /> Internal
          </label>
          <Button type="submit" disabled={!form.name.trim() || create.isPending}>
            Create network
          </Button>
        </CreateAndPruneBar>
      ) : null}
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      {sub.error ? <Alert>{errorMessage(sub.error)}</Alert> : null}
      {inspecting ? <Inspect id={inspecting} onClose={() => setInspecting(null)} /> : null}
      <DataTable
        rows={rows ?? undefined}
        testId="networks-table"
        rowKey={(n) => n.id}
        rowProps={(n) => ({ 'data-testid': 'network-row', 'data-name': n.name })}
        alignTop
        columns={[
          {
            key: 'name',
            header: 'Name',
            sortValue: (n) => n.name,
            className: 'font-medium',
            cell: (n) => (
              <>
                {n.name}
                {n.internal ? <span className="ml-2 rounded bg-slate-200 px-1 text-xs dark:bg-slate-800">internal</span> : null}
              </>
            ),
          },
          { key: 'id', header: 'ID', cell: (n) => shortId(n.id), hideBelow: 'md', className: 'font-mono text-xs' },
          { key: 'driver', header: 'Driver', cell: (n) => n.driver, sortValue: (n) => n.driver, hideBelow: 'sm' },
          { key: 'subnet', header: 'Subnet', cell: (n) => n.subnets.join(', ') || '—', hideBelow: 'md', className: 'font-mono text-xs' },
          { key: 'users', header: 'Used by', cell: (n) => <UsedByLinks users={n.usedBy} />, sortValue: (n) => n.usedBy.length },
          {
            key: 'actions',
            header: 'Actions',
            align: 'right',
            cell: (n) => (
              <>
                <Button variant="ghost" onClick={() => setInspecting(n.id)}>
                  Inspect
                </Button>
                {canOperate && !n.builtin ? (
                  <Button variant="ghost" className="text-rose-600" onClick={() => setRemoving(n)}>
                    Remove
                  </Button>
                ) : null}
              </>
            ),
          },
        ]}
      />
      {removing ? (
        <ConfirmDialog title={`Remove network ${removing.name}?`} confirmLabel="Remove" busy={remove.isPending} onCancel={() => setRemoving(null)} onConfirm={() => remove.mutate({ id: removing.id })}>
          {removing.usedBy.length ? <p>Containers on it: {removing.usedBy.map((c) => c.name).join(', ')}. The engine refuses while they are connected.</p> : <p>No container uses it.</p>}
        </ConfirmDialog>
      ) : null}
      {pruneAsk ? (
        <ConfirmDialog title="Prune unused networks?" confirmLabel="Prune" busy={prune.isPending} onCancel={() => setPruneAsk(false)} onConfirm={() => prune.mutate()}>
          <p>Removes every user-defined network no container uses.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
