// One place that turns an HTTP request into who sent it: an `Authorization: Bearer` API token, or
// else the session cookie. Used by tRPC, the plain HTTP routes and the websocket upgrade.
import type { IncomingMessage } from 'node:http';
import { writeAudit } from '../audit/audit-log.ts';
import type { Db } from '../db/client.ts';
import { endpointIdOf } from '../engine/endpoint-choice.ts';
import { LOCAL_ENDPOINT } from '../engine/hub.ts';
import { readCookie } from './cookies.ts';
import { scopeToEndpoint } from './endpoint-roles.ts';
import { clientIp } from './request-origin.ts';
import { resolveSession, SESSION_COOKIE } from './sessions.ts';
import { resolveApiToken, type RequestSession, type TokenVerdict } from './tokens.ts';

/** The Bearer credential, '' for a malformed Authorization header, undefined when there is none. */
export function bearerOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(h);
  return m ? m[1]! : '';
}

function targetOf(req: IncomingMessage): string {
  const url = new URL(req.url ?? '/', 'http://berth.invalid');
  return `${req.method ?? 'GET'} ${url.pathname}`;
}

/**
 * A request with a Bearer token is judged by that token alone (never by a cookie beside it). Each
 * use, accepted or refused, is audited with the token's name.
 */
export async function resolveRequestSession(db: Db, req: IncomingMessage): Promise<RequestSession | null> {
  const session = await resolveCredential(db, req);
  return session ? scopeToEndpoint(db, session, endpointIdOf(req) ?? LOCAL_ENDPOINT) : null;
}

/**
 * The session a page request carries (cookie only: browsers), with its role on the endpoint this
 * browser has chosen, so the page guard decides as tRPC, the websockets and the streamed routes do.
 */
export async function resolvePageSession(db: Db, req: IncomingMessage): Promise<RequestSession | null> {
  const session = await resolveSession(db, readCookie(req, SESSION_COOKIE));
  return session ? scopeToEndpoint(db, session, endpointIdOf(req) ?? LOCAL_ENDPOINT) : null;
}

async function resolveCredential(db: Db, req: IncomingMessage): Promise<RequestSession | null> {
  const bearer = bearerOf(req);
  if (bearer === undefined) return resolveSession(db, readCookie(req, SESSION_COOKIE));
  const ip = clientIp(req);
  const verdict: TokenVerdict = bearer === '' ? { ok: false, reason: 'malformed Authorization header' } : await resolveApiToken(db, bearer, ip);
  await writeAudit(db, verdict.ok
    ? { actor: { type: 'user', id: verdict.session.user.id, name: verdict.session.user.username }, action: 'token.use', target: `${verdict.session.token!.name}: ${targetOf(req)}`, result: 'success', ip }
    : {
        actor: verdict.user ? { type: 'user', id: verdict.user.id, name: verdict.user.username } : { type: 'anonymous', name: 'anonymous' },
        action: 'token.use',
        target: `${verdict.tokenName ?? '?'}: ${targetOf(req)}`,
        result: 'denied',
        error: verdict.reason,
        ip,
      },
  ).catch((err: unknown) => console.error('audit write failed:', err));
  return verdict.ok ? verdict.session : null;
}
