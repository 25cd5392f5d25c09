// Who may bind-mount host paths in a stack: admins, and operators when an admin allows it (Portainer's
// rule). The setting lives in the Setting table. Host devices and privileged services: admins only.
import { hasRole } from '../../../auth/roles.ts';
import type { Db } from '../../../db/client.ts';

const KEY = 'stacks.operatorBindMounts';

export async function operatorsMayBindMount(db: Db): Promise<boolean> {
  const row = await db.setting.findUnique({ where: { key: KEY } });
  if (!row) return false;
  try {
    return (JSON.parse(row.value) as { enabled?: unknown }).enabled === true;
  } catch {
    return false;
  }
}

export async function setOperatorsMayBindMount(db: Db, enabled: boolean): Promise<void> {
  const value = JSON.stringify({ enabled });
  await db.setting.upsert({ where: { key: KEY }, create: { key: KEY, value }, update: { value } });
}

export async function mayBindMount(db: Db, role: string): Promise<boolean> {
  return role === 'admin' || (role === 'operator' && (await operatorsMayBindMount(db)));
}

/** Host devices (`devices:`, `device_cgroup_rules:`) and `privileged:` in a stack: admins only, as --device and --privileged. */
export function mayUseDevices(role: string): boolean {
  return hasRole(role, 'admin');
}
