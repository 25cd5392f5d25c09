// The two browser-facing OIDC routes: start (redirect to the IdP) and callback (back from it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeAudit } from '../audit/audit-log.ts';
import type { Services } from '../services.ts';
import { readCookie, sessionCookie } from './cookies.ts';
import { OIDC_CALLBACK_PATH, OIDC_START_PATH, OIDC_STATE_COOKIE, OidcFlows, provisionOidcUser, readOidcSettings } from './oidc.ts';
import { clientIp } from './request-origin.ts';
import { createSession } from './sessions.ts';

/** Flows live in the database, so any process serving the callback can finish a sign-in. */
export function oidcFlowsOf(services: Services): OidcFlows {
  return new OidcFlows(services.db);
}

function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(302, { Location: location, 'Cache-Control': 'no-store', ...(cookies.length ? { 'Set-Cookie': cookies } : {}) });
  res.end();
}

const escapeHtml = (v: string): string => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The end of the flow goes back into Berth through a page of Berth's own, not a 302: the callback is
 * reached by a redirect chain that began at the IdP, and a browser marks every hop of such a chain
 * cross-origin (Sec-Fetch-Site), which the cross-site guard rightly refuses for `/`. A navigation that
 * this page starts is same-origin again, and carries the new SameSite=Strict session cookie.
 */
function land(res: ServerResponse, location: string, cookies: string[]): void {
  const href = escapeHtml(location);
  const body = `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>Berth</title><p><a href="${href}">Continue to Berth</a></p>`;
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Set-Cookie': cookies });
  res.end(body);
}

const stateCookie = (value: string, maxAge: number, secure: boolean): string =>
  `${OIDC_STATE_COOKIE}=${value}; Path=${OIDC_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;

/** Answers and returns true for the OIDC routes; false leaves the request to the next handler. */
export async function handleOidcRoutes(services: Services, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
  if (pathname !== OIDC_START_PATH && pathname !== OIDC_CALLBACK_PATH) return false;
  const secure = services.config.tls !== null;
  const ip = clientIp(req);
  const fail = async (reason: string, subject?: string): Promise<true> => {
    await writeAudit(services.db, { actor: { type: 'anonymous', name: subject ? `oidc:${subject}` : 'anonymous' }, action: 'auth.oidc', target: subject ?? null, result: 'denied', error: reason, ip });
    land(res, `/login?error=${encodeURIComponent(reason)}`, [stateCookie('', 0, secure)]);
    return true;
  };
  if (req.method !== 'GET') return fail('Use GET.');
  const settings = await readOidcSettings(services.db, services.config.root);
  if (!settings) return fail('Single sign-on is not configured.');
  if (pathname === OIDC_START_PATH) {
    try {
      const { url, state } = await oidcFlowsOf(services).begin(settings);
      redirect(res, url.href, [stateCookie(state, 600, secure)]);
    } catch (err) {
      return fail(`The identity provider at ${settings.issuer} cannot be reached: ${err instanceof Error ? err.message : String(err)}`);
    }
    return true;
  }
  // The IdP redirected to the URL it knows, so rebuild it from the configured redirect URI plus this query.
  const callbackUrl = new URL(settings.redirectUri);
  callbackUrl.search = new URL(req.url ?? '/', 'http://berth.invalid').search;
  const outcome = await oidcFlowsOf(services).finish(settings, callbackUrl, readCookie(req, OIDC_STATE_COOKIE));
  if (!outcome.ok) return fail(outcome.reason, outcome.subject);
  const user = await provisionOidcUser(services.db, outcome);
  if (!user.ok) return fail(user.reason, outcome.subject);
  const { token, expiresAt } = await createSession(services.db, user.user.id, { ip, userAgent: req.headers['user-agent'] ?? null });
  await writeAudit(services.db, {
    actor: { type: 'user', id: user.user.id, name: user.user.username },
    action: 'auth.oidc',
    target: `${user.user.username} as ${user.user.role}`,
    result: 'success',
    ip,
  });
  land(res, '/', [sessionCookie(token, expiresAt, secure), stateCookie('', 0, secure)]);
  return true;
}
