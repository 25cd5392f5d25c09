// The two browser-facing OIDC routes: start (redirect to the IdP) and callback (back from it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeAudit } from '../audit/audit-log.ts';
import type { Services } from '../api/services.ts';
import { readCookie, sessionCookie } from './cookies.ts';
import { OIDC_CALLBACK_PATH, OIDC_START_PATH, OIDC_STATE_COOKIE, OidcFlows, provisionOidcUser, readOidcSettings } from './oidc.ts';
import { clientIp } from './request-origin.ts';
import { createSession } from './sessions.ts';

const flowsByServices = new WeakMap<Services, OidcFlows>();
export function oidcFlowsOf(services: Services): OidcFlows {
  let f = flowsByServices.get(services);
  if (!f) flowsByServices.set(services, (f = new OidcFlows()));
  return f;
}

function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(302, { Location: location, 'Cache-Control': 'no-store', ...(cookies.length ? { 'Set-Cookie': cookies } : {}) });
  res.end();
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
    redirect(res, `/login?error=${encodeURIComponent(reason)}`, [stateCookie('', 0, secure)]);
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
  const outcome = await oidcFlowsOf(services).finish(callbackUrl, readCookie(req, OIDC_STATE_COOKIE));
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
  redirect(res, '/', [sessionCookie(token, expiresAt, secure), stateCookie('', 0, secure)]);
  return true;
}
