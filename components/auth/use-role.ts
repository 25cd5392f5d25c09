'use client';

import { useMe } from './use-me';

const RANK = { viewer: 0, operator: 1, admin: 2 } as const;

/** True when the signed-in user has at least `role`. Buttons hide on this; the server enforces. */
export function useHasRole(role: 'viewer' | 'operator' | 'admin'): boolean {
  const me = useMe();
  const mine = me.data?.user?.role as keyof typeof RANK | undefined;
  return mine ? RANK[mine] >= RANK[role] : false;
}
