'use client';

import type { ReactNode } from 'react';
import { Alert } from '../ui/controls';
import { useMe } from './use-me';
import { RANK, type Role } from './use-role';

/**
 * "This needs the X role", shown only once the signed-in user's role is known and falls short: while
 * `auth.me` loads nobody is refused, so an admin never sees the refusal flash by.
 */
export function RoleNotice({ need, kind = 'info', children }: { need: Role; kind?: 'info' | 'error'; children: ReactNode }) {
  const me = useMe();
  const mine = me.data?.user?.role as Role | undefined;
  if (!mine || RANK[mine] >= RANK[need]) return null;
  return (
    <div data-testid="role-notice">
      <Alert kind={kind}>{children}</Alert>
    </div>
  );
}
