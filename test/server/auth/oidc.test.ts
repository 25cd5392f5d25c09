// OIDC sign-in against a real OpenID Provider (the `oidc-provider` package) on 127.0.0.1, driven through
// its own login and consent forms. A loopback proxy in front of it can tamper with the ID token.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { createDb } from '../../../server/db/client.ts';
import { createRequestHandler } from '../../../server/http/handler.ts';
import { LoginThrottle } from '../../../server/auth/throttle.ts';
import { createTestServices, listen, type TestServices } from '../../support/services.ts';
import { OIDC_CALLBACK_PATH, roleFromClaims, writeOidcSettings, type OidcSettings } from '../../../server/auth/oidc.ts';

const GROUPS: Record<string, string[]> = { alice: ['staff', 'berth-ops'], bob: ['staff'], carol: ['berth-admins'] };
const SECRET = 'a-client-secret-that-is-long-enough-for-hs256';

let s: TestServices;
let berth: http.Server;
let base: string;
let idp: http.Server;
let proxy: http.Server;
let issuer: string;
let tamper = false;
/** While true the IdP's authorization codes live 1 s. */
let shortCodes = false;

before(async () => {
  s = createTestServices();
  const handler = createRequestHandler(s, null);
  berth = http.createServer((req, res) => void handler(req, res));
  base = await listen(berth);

  // The proxy's address is the issuer; the provider behind it builds every URL from that.
  proxy = http.createServer();
  issuer = await listen(proxy);
  const modName = 'oidc-provider';
  const { default: Provider } = await import(modName);
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'berth', client_secret: SECRET, redirect_uris: [`${base}${OIDC_CALLBACK_PATH}`], grant_types: ['authorization_code'], response_types: ['code'] }],
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id, preferred_username: id, groups: GROUPS[id] ?? [] }) }),
    claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'groups'],
    conformIdTokenClaims: false,
    cookies: { keys: ['test-cookie-key-0123456789'] },
    ttl: { AuthorizationCode: () => (shortCodes ? 1 : 60) },
  });
  idp = http.createServer(provider.callback());
  const upstream = new URL(await listen(idp));
  proxy.on('request', (req, res) => {
    const fwd = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      const tamperThis = tamper && req.url?.startsWith('/token');
      if (!tamperThis) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        return void up.pipe(res);
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { id_token: string };
        // Change one claim, keep the signature: a forged token.
        const [h, p, sig] = body.id_token.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
        claims.groups = ['berth-admins'];
        body.id_token = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
        const out = JSON.stringify(body);
        res.writeHead(up.statusCode ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
        res.end(out);
      });
    });
    req.pipe(fwd);
  });
});
after(async () => {
  for (const srv of [berth, proxy, idp]) {
    srv.closeAllConnections();
    srv.close();
  }
  await s.cleanup();
});

const settings = (over: Partial<OidcSettings> = {}): OidcSettings => ({
  enabled: true,
  issuer,
  clientId: 'berth',
  clientSecret: SECRET,
  redirectUri: `${base}${OIDC_CALLBACK_PATH}`,
  scope: 'openid profile groups',
  roleClaim: 'groups',
  mappings: [
    { value: 'berth-ops', role: 'operator' },
    { value: 'berth-admins', role: 'admin' },
  ],
  unmatched: 'deny',
  ...over,
});

/** Where Berth's landing page (the end of the flow: 200 + meta refresh, see oidc-routes.ts) sends the browser. */
function metaRefresh(html: string): string | null {
  const m = /<meta http-equiv="refresh" content="0;url=([^"]*)">/.exec(html);
  return m ? m[1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : null;
}

/** The landing page's target, checking that it is one (200, no redirect). */
async function landing(res: Response): Promise<string> {
  assert.equal(res.status, 200);
  return decodeURIComponent(metaRefresh(await res.text()) ?? '');
}

/** A minimal browser: per-origin cookies, manual redirects, and it submits the IdP's forms as `login`. */
class Browser {
  private jar = new Map<string, Map<string, string>>();
  callbackUrl: string | null = null;

  private cookieHeader(url: URL): string {
    return [...(this.jar.get(url.host) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(url: URL, res: Response): void {
    const jar = this.jar.get(url.host) ?? new Map<string, string>();
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const [k, v] = [pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim()];
      if (v === '' || /Max-Age=0/i.test(c) || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(k);
      else jar.set(k, v);
    }
    this.jar.set(url.host, jar);
  }

  cookie(host: string, name: string): string | undefined {
    return this.jar.get(host)?.get(name);
  }

  /**
   * Follows redirects and forms until Berth answers with something that is not the flow itself.
   * `beforeCallback` runs just before the IdP's redirect reaches Berth; `callbackOrigin` sends that
   * redirect to another Berth server (cookies stay those of the first, as for one site behind a balancer).
   */
  async signIn(start: string, login: string, opts: { beforeCallback?: () => Promise<void>; callbackOrigin?: string } = {}): Promise<string> {
    let url = new URL(start);
    let init: RequestInit = {};
    for (let i = 0; i < 20; i++) {
      const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
      const cookie = this.cookieHeader(url);
      if (cookie) headers.cookie = cookie;
      // What a browser sends when the IdP redirects back: a cross-site top-level navigation.
      let target = url;
      if (url.pathname === OIDC_CALLBACK_PATH) {
        Object.assign(headers, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' });
        this.callbackUrl = url.href;
        await opts.beforeCallback?.();
        if (opts.callbackOrigin) target = new URL(url.pathname + url.search, opts.callbackOrigin);
      }
      const res = await fetch(target, { ...init, headers, redirect: 'manual' });
      this.store(url, res);
      init = {};
      const html = await res.text();
      const loc = res.headers.get('location') ?? metaRefresh(html);
      if (loc) {
        const next = new URL(loc, url);
        if (next.origin === new URL(base).origin && next.pathname !== OIDC_CALLBACK_PATH) return next.pathname + next.search;
        url = next;
        continue;
      }
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      if (!action || !prompt) throw new Error(`unexpected page ${url.href} ${res.status}: ${html.slice(0, 300)}`);
      url = new URL(action, url);
      const form = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
      init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    }
    throw new Error('too many redirects');
  }
}

async function me(cookie: string | undefined): Promise<{ username: string; role: string } | null> {
  const res = await fetch(`${base}/api/trpc/auth.me`, { headers: cookie ? { cookie: `berth_session=${cookie}` } : {} });
  return ((await res.json()) as { result: { data: { json: { user: { username: string; role: string } | null } } } }).result.data.json.user;
}

test('role mapping takes the highest matching role; no match means no access unless viewer is chosen', () => {
  const s0 = settings();
  assert.equal(roleFromClaims({ groups: ['staff', 'berth-ops', 'berth-admins'] }, s0), 'admin');
  assert.equal(roleFromClaims({ groups: 'berth-ops' }, s0), 'operator');
  assert.equal(roleFromClaims({ groups: ['staff'] }, s0), null);
  assert.equal(roleFromClaims({}, s0), null);
  assert.equal(roleFromClaims({ groups: ['staff'] }, settings({ unmatched: 'viewer' })), 'viewer');
});

test('code flow with PKCE signs a mapped user in with the mapped role', async () => {
  await writeOidcSettings(s.db, s.config.root, settings());
  const b = new Browser();
  const landed = await b.signIn(`${base}/api/auth/oidc/start`, 'alice');
  assert.equal(landed, '/');
  const session = b.cookie(new URL(base).host, 'berth_session');
  assert.deepEqual(await me(session), { id: (await s.db.user.findUniqueOrThrow({ where: { username: 'alice' } })).id, username: 'alice', role: 'operator' });
  const user = await s.db.user.findUniqueOrThrow({ where: { username: 'alice' } });
  assert.equal(user.authSource, 'oidc');
  assert.equal(user.externalId, `${issuer}#alice`);
  assert.ok(await s.db.auditLog.findFirst({ where: { action: 'auth.oidc', result: 'success', actorName: 'alice' } }));
  assert.ok(new URL(b.callbackUrl!).searchParams.get('state'));

  // The same callback again (a replayed state) is refused and changes nothing.
  const before = await s.db.session.count();
  const replay = await fetch(b.callbackUrl!, { redirect: 'manual', headers: { cookie: `berth_oidc_state=${new URL(b.callbackUrl!).searchParams.get('state')}` } });
  assert.match(await landing(replay), /already used/);
  assert.equal(await s.db.session.count(), before);
  assert.ok(await s.db.auditLog.findFirst({ where: { action: 'auth.oidc', result: 'denied', error: { contains: 'already used' } } }));
});

test('a user matching no mapping gets no account; with "viewer" chosen by an admin they get viewer', async () => {
  await writeOidcSettings(s.db, s.config.root, settings());
  const denied = await new Browser().signIn(`${base}/api/auth/oidc/start`, 'bob');
  assert.match(decodeURIComponent(denied), /^\/login\?error=Your account matches no Berth role/);
  assert.equal(await s.db.user.count({ where: { username: 'bob' } }), 0);

  await writeOidcSettings(s.db, s.config.root, settings({ unmatched: 'viewer' }));
  const b = new Browser();
  assert.equal(await b.signIn(`${base}/api/auth/oidc/start`, 'bob'), '/');
  assert.equal((await me(b.cookie(new URL(base).host, 'berth_session')))?.role, 'viewer');
});

test('a tampered ID token is refused (signature verified) and nobody is signed in', async () => {
  await writeOidcSettings(s.db, s.config.root, settings());
  tamper = true;
  try {
    const b = new Browser();
    const landed = decodeURIComponent(await b.signIn(`${base}/api/auth/oidc/start`, 'dave'));
    assert.match(landed, /^\/login\?error=The identity provider's answer was refused/);
    assert.equal(b.cookie(new URL(base).host, 'berth_session'), undefined);
    assert.equal(await s.db.user.count({ where: { username: 'dave' } }), 0);
    const refusal = await s.db.auditLog.findFirst({ where: { action: 'auth.oidc', result: 'denied', error: { contains: 'answer was refused' } } });
    assert.match(refusal?.error ?? '', /signature/i, refusal?.error ?? 'no audit row');
  } finally {
    tamper = false;
  }
});

test('a wrong issuer is refused at discovery with a clear message', async () => {
  // The provider says it is `issuer`; Berth is told to expect a different one on the same server.
  const wrong = issuer.replace('127.0.0.1', 'localhost');
  await writeOidcSettings(s.db, s.config.root, settings({ issuer: wrong }));
  const res = await fetch(`${base}/api/auth/oidc/start`, { redirect: 'manual' });
  const loc = await landing(res);
  assert.match(loc, /^\/login\?error=The identity provider at .* cannot be reached: .*issuer/i);
  await writeOidcSettings(s.db, s.config.root, settings());
});

test('a callback whose state cookie belongs to another browser is refused', async () => {
  await writeOidcSettings(s.db, s.config.root, settings());
  const start = await fetch(`${base}/api/auth/oidc/start`, { redirect: 'manual' });
  const state = new URL(start.headers.get('location')!).searchParams.get('state');
  const res = await fetch(`${base}${OIDC_CALLBACK_PATH}?code=x&state=${state}`, { redirect: 'manual', headers: { cookie: 'berth_oidc_state=someone-else' } });
  assert.match(await landing(res), /another browser/);
});

test('a sign-in started on one server process finishes on another (state kept in the database), and only once', async () => {
  await writeOidcSettings(s.db, s.config.root, settings());
  // A second server over the same database file, with its own Prisma client and nothing shared in memory.
  const db2 = createDb(s.config.databaseFile);
  const handler2 = createRequestHandler({ ...s, db: db2, throttle: new LoginThrottle() }, null);
  const berth2 = http.createServer((req, res) => void handler2(req, res));
  const base2 = await listen(berth2);
  try {
    const b = new Browser();
    assert.equal(await b.signIn(`${base}/api/auth/oidc/start`, 'alice', { callbackOrigin: base2 }), '/');
    const session = b.cookie(new URL(base).host, 'berth_session');
    assert.equal((await me(session))?.username, 'alice');
    assert.equal(await s.db.oidcFlow.count({ where: { state: new URL(b.callbackUrl!).searchParams.get('state')! } }), 0);
    // The first server refuses the same callback: the state was taken by the second.
    const state = new URL(b.callbackUrl!).searchParams.get('state');
    const replay = await fetch(b.callbackUrl!, { redirect: 'manual', headers: { cookie: `berth_oidc_state=${state}` } });
    assert.match(await landing(replay), /unknown, expired or was already used/);
  } finally {
    berth2.closeAllConnections();
    berth2.close();
    await db2.$disconnect();
  }
});

test('a sign-in that outlives its 10 minutes is refused as expired, and the row is gone', async () => {
  await writeOidcSettings(s.db, s.config.root, settings());
  const b = new Browser();
  const landed = await b.signIn(`${base}/api/auth/oidc/start`, 'alice', {
    beforeCallback: async () => void (await s.db.oidcFlow.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) } })),
  });
  assert.match(decodeURIComponent(landed), /^\/login\?error=The sign-in took longer than 10 minutes and expired/);
  assert.equal(b.cookie(new URL(base).host, 'berth_session'), undefined);
  assert.equal(await s.db.oidcFlow.count(), 0);
  assert.ok(await s.db.auditLog.findFirst({ where: { action: 'auth.oidc', result: 'denied', error: { contains: 'expired' } } }));
});

test('a callback with no or a malformed state is refused before anything is looked up', async () => {
  await writeOidcSettings(s.db, s.config.root, settings());
  for (const q of ['?code=x', '?code=x&state=%27%20OR%201%3D1']) {
    const res = await fetch(`${base}${OIDC_CALLBACK_PATH}${q}`, { redirect: 'manual' });
    assert.match(await landing(res), /without a valid state/);
  }
});

test('an expired authorization code is refused with the IdP\'s own error code', async () => {
  await writeOidcSettings(s.db, s.config.root, settings());
  shortCodes = true;
  try {
    const b = new Browser();
    // The IdP's codes live 1 s now; the redirect back reaches Berth after 2.
    const landed = await b.signIn(`${base}/api/auth/oidc/start`, 'alice', { beforeCallback: () => new Promise((r) => setTimeout(r, 2000)) });
    assert.match(decodeURIComponent(landed), /^\/login\?error=The identity provider's answer was refused: invalid_grant/);
    assert.equal(b.cookie(new URL(base).host, 'berth_session'), undefined);
  } finally {
    shortCodes = false;
  }
});
