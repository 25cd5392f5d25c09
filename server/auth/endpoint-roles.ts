// Scoped roles: a user may be operator on one endpoint and viewer on another. A scoped role replaces
// the global one for requests aimed at that endpoint; it is viewer or operator only, and admins keep
// admin everywhere (administration is not per endpoint).
import type { Db } from '../db/client.ts';
import { hasRole, isRole, type Role } from './roles.ts';
import type { RequestSession } from './tokens.ts';

export const SCOPED_ROLES = ['viewer', 'operator'] as const;

const lower = (a: Role, b: Role): Role => (hasRole(a, b) ? b : a);

/** The session as seen on `endpointId`: the scoped role if one is set, then capped by the token's role. */
export async function scopeToEndpoint(db: Db, session: RequestSession, endpointId: string): Promise<RequestSession> {
  const global = session.token?.ownerRole ?? session.user.role;
  if (global === 'admin' || !isRole(global)) return session;
  const scoped = await db.endpointRole.findUnique({ where: { userId_endpointId: { userId: session.user.id, endpointId } } });
  if (!scoped || !isRole(scoped.role)) return session;
  const role = session.token && isRole(session.token.role) ? lower(scoped.role, session.token.role) : scoped.role;
  return { ...session, user: { ...session.user, role } };
}
