'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { errorMessage, useTRPC } from '../trpc/react';
import { Alert, Button, Card } from '../ui/controls';

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
      <table className="w-full text-left text-sm">
        <thead className="border-b border-slate-200 text-xs uppercase text-slate-500 dark:border-slate-800">
          <tr>
            {all ? <th className="py-2">User</th> : null}
            <th className="py-2">From</th>
            <th className="py-2">Browser</th>
            <th className="py-2">Signed in</th>
            <th className="py-2">Last seen</th>
            <th className="py-2 text-right">Actions</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.map((s) => (
            <tr key={s.id} data-testid="session-row" className="border-b border-slate-100 dark:border-slate-800/60">
              {all ? <td className="py-2">{s.username}</td> : null}
              <td className="py-2 font-mono text-xs">{s.ip ?? '—'}</td>
              <td className="max-w-xs truncate py-2 text-xs" title={s.userAgent ?? ''}>
                {s.userAgent ?? '—'}
              </td>
              <td className="py-2">{new Date(s.createdAt).toLocaleString()}</td>
              <td className="py-2">{new Date(s.lastSeenAt).toLocaleString()}</td>
              <td className="py-2 text-right">
                {s.current ? (
                  <span className="text-xs text-slate-500">this browser</span>
                ) : (
                  <Button variant="danger" onClick={() => revoke.mutate({ id: s.id })} disabled={revoke.isPending}>
                    Revoke
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}
