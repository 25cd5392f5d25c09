// The first check of every dashboard request, whatever its method: it must name a Host this server
// answers to (DNS rebinding) and come from this origin (CSRF, also over GET: SSE subscriptions and
// downloads are GETs). Refusals are audited.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeAudit, type AuditActor } from '../audit/audit-log.ts';
import { readCookie } from '../auth/cookies.ts';
import { OIDC_CALLBACK_PATH } from '../auth/oidc.ts';
import { checkRequestSite, clientIp, sitePolicyOf } from '../auth/request-origin.ts';
import { resolveSession, SESSION_COOKIE } from '../auth/sessions.ts';
import type { Services } from '../services.ts';

/** A link from another site to a page: answered with a page whose link, once clicked, is same-origin. */
function isPageNavigation(req: IncomingMessage, pathname: string): boolean {
  return req.method === 'GET' && req.headers['sec-fetch-mode'] === 'navigate' && !pathname.startsWith('/api/') && !pathname.startsWith('/ws/');
}

const CONTINUE_PAGE = `<!doctype html><meta charset="utf-8"><title>Berth</title>
<p>This request came from another site, so Berth did not act on it.</p><p><a href="/">Open Berth</a></p>`;

async function actorOf(services: Services, req: IncomingMessage): Promise<AuditActor> {
  const session = await resolveSession(services.db, readCookie(req, SESSION_COOKIE)).catch(() => null);
  return session ? { type: 'user', id: session.user.id, name: session.user.username } : { type: 'anonymous', name: 'anonymous' };
}

/** Answers and returns true when the request is refused; false lets it through untouched. */
export async function refuseForeignRequest(services: Services, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  const verdict = checkRequestSite(req, sitePolicyOf(services.config));
  if (verdict.ok) return false;
  // The IdP's redirect back is a cross-site navigation by design; state, nonce and the state cookie protect it.
  if (verdict.check === 'origin' && pathname === OIDC_CALLBACK_PATH && req.method === 'GET') return false;
  await writeAudit(services.db, {
    actor: await actorOf(services, req),
    action: verdict.check === 'host' ? 'http.host-refused' : 'http.cross-origin-refused',
    target: `${req.method ?? 'GET'} ${pathname}`,
    result: 'denied',
    error: verdict.reason,
    ip: clientIp(req),
  }).catch((err: unknown) => console.error('audit write failed:', err));
  if (verdict.check === 'origin' && isPageNavigation(req, pathname)) {
    res.writeHead(403, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(CONTINUE_PAGE);
    return true;
  }
  const message =
    verdict.check === 'host'
      ? `Misdirected request: ${verdict.reason}. Add the name to BERTH_ALLOWED_HOSTS if it is meant to reach Berth.`
      : `Cross-origin request refused: ${verdict.reason}.`;
  res.writeHead(verdict.status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ message }));
  return true;
}
