'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Card } from '../ui/controls';
import { DataTable } from '../ui/data-table';

/** Signed-in sessions (browsers); revoking one signs that browser out at its next request. */
export function Sessions({ all = false }: { all?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.tokens.sessions.queryOptions({ all }));
  const revoke = useMutation(
    trpc.tokens.revokeSession.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.tokens.sessions.queryKey() }) }),
  );
  return (
    <Card title={all ? 'Sessions of all users' : 'Your sessions'}>
      {list.error ? <Alert>{errorMessage(list.error)}</Alert> : null}
      {revoke.error ? <Alert>{errorMessage(revoke.error)}</Alert> : null}
      <DataTable
        rows={list.data ?? []}
        rowKey={(s) => s.id}
        rowProps={() => ({ 'data-testid': 'session-row' })}
        columns={[
          ...(all ? [{ key: 'user', header: 'User', cell: (s: { username?: string | null }) => s.username }] : []),
          { key: 'from', header: 'From', className: 'font-mono text-xs', cell: (s) => s.ip ?? '—' },
          { key: 'browser', header: 'Browser', className: 'max-w-xs truncate text-xs', cellProps: (s) => ({ title: s.userAgent ?? '' }), cell: (s) => s.userAgent ?? '—' },
          { key: 'signedIn', header: 'Signed in', cell: (s) => new Date(s.createdAt).toLocaleString() },
          { key: 'lastSeen', header: 'Last seen', cell: (s) => new Date(s.lastSeenAt).toLocaleString() },
          {
            key: 'actions',
            header: 'Actions',
            align: 'right',
            cell: (s) =>
              s.current ? (
                <span className="text-xs text-slate-500">this browser</span>
              ) : (
                <Button variant="danger" onClick={() => revoke.mutate({ id: s.id })} disabled={revoke.isPending}>
                  Revoke
                </Button>
              ),
          },
        ]}
      />
    </Card>
  );
}
