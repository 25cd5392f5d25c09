'use client';

import { useMe } from './use-me';

export const RANK = { viewer: 0, operator: 1, admin: 2 } as const;
export type Role = keyof typeof RANK;

/** True when the signed-in user has at least `role`. Buttons hide on this; the server enforces. */
export function useHasRole(role: Role): boolean {
  const me = useMe();
  const mine = me.data?.user?.role as Role | undefined;
  return mine ? RANK[mine] >= RANK[role] : false;
}
