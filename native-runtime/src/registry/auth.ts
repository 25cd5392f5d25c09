// Registry authentication: anonymous, Basic, and Bearer tokens from a token service (Docker's token auth
// spec). Credentials arrive per call as dockerode's `authconfig` and are never stored; tokens live only
// in the Authorizer of one pull or push, cached per scope.
import { EngineError } from '../errors.js';
import { readAll, send, type HttpResponse } from './transport.js';

/** dockerode's AuthConfig (the X-Registry-Auth payload). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64("user:password"), as in ~/.docker/config.json. */
  auth?: string;
  /** An OAuth2 refresh token (Docker Hub / token servers that support it). */
  identitytoken?: string;
  /** A ready-made bearer token for the registry. */
  registrytoken?: string;
  serveraddress?: string;
  email?: string;
}

export interface Challenge {
  scheme: 'bearer' | 'basic' | string;
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header: `Bearer realm="…",service="…",scope="…"` (one or more challenges). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (!header) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const out: Challenge[] = [];
  const re = /([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)((?:\s*,?\s*[A-Za-z][A-Za-z0-9_-]*\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^\s,"]*))*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
    const params: Record<string, string> = {};
    const pre = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/g;
    let p: RegExpExecArray | null;
    while ((p = pre.exec(m[2] ?? '')) !== null) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
    out.push({ scheme: m[1]!.toLowerCase(), params });
  }
  return out;
}

export function credentialsOf(a: AuthConfig | undefined): { username: string; password: string } | undefined {
  if (!a) return undefined;
  if (a.username !== undefined && a.username !== '' && a.password !== undefined) return { username: a.username, password: a.password };
  if (a.auth) {
    const s = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = s.indexOf(':');
    if (i > 0) return { username: s.slice(0, i), password: s.slice(i + 1) };
  }
  return undefined;
}

export function basicHeader(c: { username: string; password: string }): string {
  return 'Basic ' + Buffer.from(`${c.username}:${c.password}`).toString('base64');
}

/** Holds the challenge of one registry endpoint and the tokens fetched for it during one operation. */
export class Authorizer {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, string>();
  /** The token service's refresh_token, when offline access was asked for (a login's IdentityToken). */
  refreshToken: string | undefined;

  constructor(
    private readonly authconfig: AuthConfig | undefined,
    /** Refuses token realms the registry policy does not allow. */
    private readonly checkRealm: (url: URL) => void,
    private readonly skipVerify: boolean,
    /** Ask for a refresh token with the credentials (`offline_token=true`), as dockerd's login does. */
    private readonly offlineAccess = false,
  ) {}

  /** Records the challenge from a 401 (ping or any request). Returns true when it is one we can answer. */
  setChallenge(res: HttpResponse): boolean {
    const cs = parseChallenges(res.headers['www-authenticate']);
    const c = cs.find((x) => x.scheme === 'bearer') ?? cs.find((x) => x.scheme === 'basic');
    if (!c) return false;
    this.challenge = c;
    return true;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /** The Authorization header for a request needing `scopes`, fetching a token when needed. */
  async header(scopes: string[]): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      const cred = credentialsOf(this.authconfig);
      return cred ? basicHeader(cred) : undefined;
    }
    if (c.scheme !== 'bearer') return undefined;
    if (this.authconfig?.registrytoken) return `Bearer ${this.authconfig.registrytoken}`;
    const key = [...new Set(scopes)].sort().join(' ');
    let tok = this.tokens.get(key);
    if (tok === undefined) {
      tok = await this.fetchToken(c, [...new Set(scopes)].sort());
      this.tokens.set(key, tok);
    }
    return `Bearer ${tok}`;
  }

  /** Forgets the cached token for these scopes (after a 401 with a token we thought was good). */
  invalidate(scopes: string[]): void {
    this.tokens.delete([...new Set(scopes)].sort().join(' '));
  }

  private async fetchToken(c: Challenge, scopes: string[]): Promise<string> {
    const realm = c.params['realm'];
    if (!realm) throw new EngineError(401, 'unauthorized: the registry sent a Bearer challenge without a realm', { reason: 'unauthorized' });
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new EngineError(401, `unauthorized: invalid token realm ${JSON.stringify(realm)}`, { reason: 'unauthorized' });
    }
    this.checkRealm(url);
    const cred = credentialsOf(this.authconfig);
    const service = c.params['service'];
    const headers: Record<string, string> = { Accept: 'application/json' };
    let res: HttpResponse;
    if (this.authconfig?.identitytoken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.authconfig.identitytoken, client_id: 'berth' });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await send({ method: 'POST', url, headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()), skipVerify: this.skipVerify });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (cred) {
        url.searchParams.set('account', cred.username);
        headers['Authorization'] = basicHeader(cred);
        if (this.offlineAccess) {
          url.searchParams.set('offline_token', 'true');
          url.searchParams.set('client_id', 'berth');
        }
      }
      res = await send({ method: 'GET', url, headers, skipVerify: this.skipVerify });
    }
    const body = await readAll(res, 1 << 20);
    if (res.status === 401 || res.status === 403) {
      throw new EngineError(401, cred ? 'unauthorized: incorrect username or password' : 'unauthorized: authentication required', { reason: 'unauthorized' });
    }
    if (res.status !== 200) throw new EngineError(500, `token service ${url.origin} answered ${res.status}: ${body.toString('utf8').slice(0, 200)}`);
    let parsed: { token?: string; access_token?: string; refresh_token?: string };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      throw new EngineError(500, `token service ${url.origin} sent invalid JSON`);
    }
    const tok = parsed.token || parsed.access_token;
    if (!tok) throw new EngineError(500, `token service ${url.origin} sent no token`);
    if (this.offlineAccess && typeof parsed.refresh_token === 'string') this.refreshToken = parsed.refresh_token;
    return tok;
  }
}
