// Whether local (password) accounts may sign in once SSO is set up. One named break-glass admin always
// may, so a broken IdP never locks everyone out.
import { z } from 'zod';
import type { Db } from '../db/client.ts';

export const LOCAL_LOGIN_KEY = 'identity.localLogin';
export const localLoginSchema = z.object({
  enabled: z.boolean(),
  /** The local admin who may still sign in with a password when local sign-in is off. */
  breakGlass: z.string().trim().max(64).default(''),
});
export type LocalLogin = z.infer<typeof localLoginSchema>;

export async function readLocalLogin(db: Db): Promise<LocalLogin> {
  const row = await db.setting.findUnique({ where: { key: LOCAL_LOGIN_KEY } });
  const parsed = row ? localLoginSchema.safeParse(JSON.parse(row.value)) : null;
  return parsed?.success ? parsed.data : { enabled: true, breakGlass: '' };
}

export type LocalLoginCheck = { ok: true } | { ok: false; message: string };

/** Refuses turning local sign-in off without a break-glass account that is a local admin. */
export async function checkLocalLogin(db: Db, v: LocalLogin): Promise<LocalLoginCheck> {
  if (v.enabled) return { ok: true };
  const user = v.breakGlass ? await db.user.findUnique({ where: { username: v.breakGlass } }) : null;
  if (!user || user.role !== 'admin' || user.authSource !== 'local') {
    return { ok: false, message: 'Name a local admin as the break-glass account before turning local sign-in off.' };
  }
  return { ok: true };
}

export async function writeLocalLogin(db: Db, v: LocalLogin): Promise<void> {
  const value = JSON.stringify(v);
  await db.setting.upsert({ where: { key: LOCAL_LOGIN_KEY }, create: { key: LOCAL_LOGIN_KEY, value }, update: { value } });
}

/** May this local user sign in with a password now? */
export function localLoginAllowed(policy: LocalLogin, username: string): boolean {
  return policy.enabled || (policy.breakGlass !== '' && policy.breakGlass === username);
}
