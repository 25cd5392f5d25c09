// One registry conversation (a pull or a push): picks the endpoint with a GET /v2/ ping, answers auth
// challenges, follows redirects within the policy, and turns registry error bodies into EngineErrors.
import { EngineError, forbidden } from '../errors.js';
import { isLoopbackHost, DOCKER_HUB, type RegistryPolicy } from './allow-list.js';
import { Authorizer, type AuthConfig } from './auth.js';
import { drain, endpointsFor, isNetworkError, readAll, send, type Endpoint, type HttpResponse, type RequestBody } from './transport.js';

export interface SessionOptions {
  authconfig?: AuthConfig;
  policy: RegistryPolicy;
  /** Pulls may use docker.io mirrors; pushes never do. */
  pull: boolean;
  timeoutMs?: number;
  /** Ask token services for a refresh token (login). */
  offlineAccess?: boolean;
}

export interface SessionRequest {
  method: string;
  /** A path under the endpoint (`/v2/…`) or an absolute URL (upload locations). */
  path: string | URL;
  headers?: Record<string, string>;
  /** A factory, so a request can be re-sent after an auth challenge. */
  body?: () => RequestBody;
  /** Token scopes, e.g. `repository:library/busybox:pull`. */
  scopes: string[];
  /** Follow 3xx for GET/HEAD (blob downloads from CDNs). Default true. */
  redirects?: boolean;
  signal?: AbortSignal;
}

export class RegistrySession {
  readonly domain: string;
  endpoint!: Endpoint;
  private auth!: Authorizer;
  private readonly opts: SessionOptions;

  private constructor(domain: string, opts: SessionOptions) {
    this.domain = domain;
    this.opts = opts;
  }

  /** Checks the policy (synchronously, before any socket), then pings the endpoints in order. */
  static async open(domain: string, opts: SessionOptions): Promise<RegistrySession> {
    const s = new RegistrySession(domain, opts);
    const endpoints = endpointsFor(domain, opts.policy, { pull: opts.pull });
    if (!endpoints.length) opts.policy.check(domain); // throws the 403 with the reason
    let lastErr: unknown;
    for (const ep of endpoints) {
      try {
        await s.ping(ep);
        return s;
      } catch (e) {
        lastErr ??= e; // the first (preferred) endpoint's failure is the one worth reporting
        if (e instanceof EngineError && e.statusCode !== 502) throw e;
      }
    }
    const msg = lastErr instanceof Error ? lastErr.message : String(lastErr);
    throw new EngineError(502, `cannot reach registry ${domain}: ${msg}`, { reason: 'bad gateway', cause: lastErr });
  }

  private async ping(ep: Endpoint): Promise<void> {
    const auth = new Authorizer(this.opts.authconfig, (u) => this.checkAux(u), ep.skipVerify, this.opts.offlineAccess ?? false);
    let res: HttpResponse;
    try {
      res = await send({ method: 'GET', url: new URL('/v2/', ep.base), skipVerify: ep.skipVerify, timeoutMs: this.opts.timeoutMs ?? 30_000 });
    } catch (e) {
      throw new EngineError(502, e instanceof Error ? e.message : String(e), { cause: e });
    }
    await drain(res);
    if (res.status === 401) auth.setChallenge(res);
    else if (res.status !== 200) throw new EngineError(502, `${ep.base.origin}/v2/ answered ${res.status}: not a registry`);
    this.endpoint = ep;
    this.auth = auth;
  }

  /** Token realms and redirect targets must pass the policy too (docker.io's own helpers are implied). */
  checkAux(u: URL): void {
    const p = this.opts.policy;
    if (u.protocol === 'http:' && !p.isInsecure(u.host) && !isLoopbackHost(u.host)) {
      throw forbidden(`registry ${this.domain}: plain HTTP to ${u.host} is not allowed`);
    }
    if (p.allows(u.host)) return;
    if (!p.offline && this.domain === DOCKER_HUB && /(^|\.)docker\.(io|com)$/.test(u.hostname)) return;
    if (!p.offline && u.host === this.endpoint?.base.host) return;
    throw forbidden(`registry ${this.domain}: ${u.host} is not allowed${p.offline ? ' (offline mode)' : ''}`);
  }

  url(path: string): URL {
    return new URL(path, this.endpoint.base);
  }

  /** The refresh token a token service issued during this session (with offlineAccess), else ''. */
  get identityToken(): string {
    return this.auth.refreshToken ?? '';
  }

  /** Sends a request with auth; re-sends once after a 401 challenge. Returns any final status. */
  async request(r: SessionRequest): Promise<HttpResponse> {
    let url = typeof r.path === 'string' ? this.url(r.path) : r.path;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...r.headers };
      const authz = await this.auth.header(r.scopes);
      if (authz && url.host === this.endpoint.base.host) headers['Authorization'] = authz;
      let res = await send({ method: r.method, url, headers, body: r.body?.(), skipVerify: this.endpoint.skipVerify, timeoutMs: this.opts.timeoutMs, signal: r.signal });
      // Redirects (blob storage behind a CDN): no Authorization leaves the registry's host.
      let hops = 0;
      while ((r.redirects ?? true) && [301, 302, 303, 307, 308].includes(res.status) && res.headers.location && hops++ < 5) {
        await drain(res);
        const next = new URL(res.headers.location, url);
        this.checkAux(next);
        const h: Record<string, string> = { ...r.headers };
        if (authz && next.host === this.endpoint.base.host) h['Authorization'] = authz;
        res = await send({ method: r.method === 'HEAD' ? 'HEAD' : 'GET', url: next, headers: h, skipVerify: this.endpoint.skipVerify, timeoutMs: this.opts.timeoutMs, signal: r.signal });
        url = next;
      }
      if (res.status === 401 && attempt === 0 && this.auth.setChallenge(res)) {
        await drain(res);
        this.auth.invalidate(r.scopes);
        url = typeof r.path === 'string' ? this.url(r.path) : r.path;
        continue;
      }
      return res;
    }
  }

  /** Builds an EngineError from an unexpected registry answer (consumes the body). */
  async fail(res: HttpResponse, what: string): Promise<EngineError> {
    let detail = '';
    try {
      const body = await readAll(res, 1 << 20);
      const j = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: string; message?: string }> };
      // "MANIFEST_UNKNOWN" + "manifest unknown" reads once, not "manifest unknown: manifest unknown".
      detail = (j.errors ?? [])
        .map((e) => {
          const code = (e.code ?? 'error').toLowerCase().replace(/_/g, ' ');
          const message = e.message ?? '';
          return !message || message.toLowerCase() === code ? code : `${code}: ${message}`;
        })
        .join('; ');
    } catch {
      /* not JSON */
    }
    if (!detail) {
      detail = res.status === 401 ? 'unauthorized: authentication required'
        : res.status === 403 ? 'denied: requested access to the resource is denied'
        : res.status === 404 ? 'not found'
        : `HTTP ${res.status}`;
    }
    if (res.status === 401) return new EngineError(401, `${what}: ${detail}`, { reason: 'unauthorized' });
    if (res.status === 403) return new EngineError(403, `${what}: ${detail}`);
    if (res.status === 404) return new EngineError(404, `${what}: ${detail}`, { reason: 'not found' });
    return new EngineError(500, `${what}: ${detail}`);
  }
}

export function isRetryable(e: unknown): boolean {
  if (e instanceof EngineError) return e.statusCode === 502 || e.statusCode === 503;
  return isNetworkError(e);
}

export function scopeFor(repo: string, actions: string): string {
  return `repository:${repo}:${actions}`;
}
