export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** True when `role` grants at least what `required` grants. */
export function hasRole(role: string, required: Role): boolean {
  return isRole(role) && RANK[role] >= RANK[required];
}
