// Session and role checks for the plain HTTP routes beside tRPC (downloads and uploads).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeAudit } from '../audit/audit-log.ts';
import { clientIp } from '../auth/request-origin.ts';
import { hasRole, type Role } from '../auth/roles.ts';
import type { ActiveSession } from '../auth/sessions.ts';
import { resolveRequestSession } from '../auth/tokens-request.ts';
import type { Services } from '../services.ts';

export function sendMessage(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ message }));
}

/** The session when it holds `role`; otherwise answers 401/403 (audited as denied) and returns null. */
export async function requireRole(services: Services, req: IncomingMessage, res: ServerResponse, role: Role, action: string, target: string): Promise<ActiveSession | null> {
  const session = await resolveRequestSession(services.db, req);
  if (!session) {
    sendMessage(res, 401, 'Sign in first.');
    return null;
  }
  if (!hasRole(session.user.role, role)) {
    await auditRoute(services, req, session, action, target, 'denied', `needs ${role}`);
    sendMessage(res, 403, `This needs the ${role} role; you are ${session.user.role}.`);
    return null;
  }
  return session;
}

export async function auditRoute(services: Services, req: IncomingMessage, session: ActiveSession, action: string, target: string, result: 'success' | 'failure' | 'denied', error: string | null = null): Promise<void> {
  await writeAudit(services.db, {
    actor: { type: 'user', id: session.user.id, name: session.user.username },
    action,
    target,
    result,
    error,
    ip: clientIp(req),
  });
}
