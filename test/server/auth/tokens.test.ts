import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { createRequestHandler } from '../../../server/http/handler.ts';
import { createTestServices, listen, type TestServices } from '../../support/services.ts';
import { execUnavailableRoute } from '../../../server/ws/exec-placeholder.ts';
import { createUpgradeHandler } from '../../../server/ws/upgrade.ts';
import { hashPassword } from '../../../server/auth/password.ts';
import { hashToken } from '../../../server/auth/sessions.ts';
import { TOKEN_PREFIX } from '../../../server/auth/tokens.ts';

let s: TestServices;
let server: http.Server;
let base: string;

before(async () => {
  s = createTestServices();
  const handler = createRequestHandler(s, null);
  server = http.createServer((req, res) => void handler(req, res));
  const upgrade = createUpgradeHandler(s, { '/ws/exec': execUnavailableRoute }, null);
  server.on('upgrade', (req, socket, head) => void upgrade(req, socket, head));
  base = await listen(server);
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await s.cleanup();
});

type Auth = { cookie?: string; bearer?: string; headers?: Record<string, string> };

function headersOf(auth: Auth): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', ...auth.headers };
  if (auth.cookie) h.cookie = auth.cookie;
  if (auth.bearer) h.authorization = `Bearer ${auth.bearer}`;
  return h;
}

async function mutate(path: string, input: unknown, auth: Auth): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/trpc/${path}`, { method: 'POST', headers: headersOf(auth), body: JSON.stringify({ json: input }) });
  return { status: res.status, body: await res.json() };
}

async function query(path: string, input: unknown, auth: Auth): Promise<{ status: number; body: any }> {
  const q = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await fetch(`${base}/api/trpc/${path}${q}`, { headers: headersOf(auth) });
  return { status: res.status, body: await res.json() };
}

async function cookieOf(username: string, role: string): Promise<string> {
  await s.db.user.create({ data: { id: username, username, role, passwordHash: await hashPassword('long enough password') } });
  const res = await fetch(`${base}/api/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { username, password: 'long enough password' } }),
  });
  assert.equal(res.status, 200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

let adminCookie: string;
let operatorCookie: string;

test('a token is shown once, stored hashed, and works as Bearer on tRPC with its own role', async () => {
  adminCookie = await cookieOf('ada', 'admin');
  const created = await mutate('tokens.create', { name: 'ci', role: 'viewer', expiresInDays: 30 }, { cookie: adminCookie });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const token: string = created.body.result.data.json.token;
  assert.ok(token.startsWith(TOKEN_PREFIX));
  const row = await s.db.apiToken.findFirstOrThrow({ where: { name: 'ci' } });
  assert.equal(row.tokenHash, hashToken(token));
  assert.ok(!JSON.stringify(row).includes(token.slice(TOKEN_PREFIX.length)));
  // Listed without the secret.
  const list = await query('tokens.list', undefined, { cookie: adminCookie });
  assert.equal(list.status, 200);
  assert.ok(!JSON.stringify(list.body).includes(token));
  assert.equal(list.body.result.data.json[0].name, 'ci');

  // Bearer, no cookie, no Origin (a script): accepted, as the token's viewer role although the owner is admin.
  const me = await query('auth.me', undefined, { bearer: token });
  assert.equal(me.body.result.data.json.user.username, 'ada');
  assert.equal(me.body.result.data.json.user.role, 'viewer');
  const denied = await mutate('users.create', { username: 'mallory', password: 'long enough password', role: 'admin' }, { bearer: token });
  assert.equal(denied.status, 403);
  assert.equal(await s.db.user.count({ where: { username: 'mallory' } }), 0);

  // Each use is audited with the token's name; the last use is recorded.
  const uses = await s.db.auditLog.findMany({ where: { action: 'token.use', actorName: 'ada' } });
  assert.ok(uses.some((u) => u.target?.startsWith('ci: ') && u.result === 'success'));
  const used = await s.db.apiToken.findFirstOrThrow({ where: { name: 'ci' } });
  assert.ok(used.lastUsedAt);
  assert.equal(used.lastUsedIp, '127.0.0.1');
});

test('a token role above the creator is refused, and a token cannot mint tokens', async () => {
  operatorCookie = await cookieOf('otto', 'operator');
  const r = await mutate('tokens.create', { name: 'too-much', role: 'admin', expiresInDays: 1 }, { cookie: operatorCookie });
  assert.equal(r.status, 403);
  assert.match(r.body.error.json.message, /more than your own role/);
  const ok = await mutate('tokens.create', { name: 'deploy', role: 'operator', expiresInDays: 1 }, { cookie: operatorCookie });
  assert.equal(ok.status, 200);
  const again = await mutate('tokens.create', { name: 'x', role: 'viewer', expiresInDays: 1 }, { bearer: ok.body.result.data.json.token });
  assert.equal(again.status, 403);
  const bad = await mutate('tokens.create', { name: '', role: 'viewer', expiresInDays: 0 }, { cookie: operatorCookie });
  assert.equal(bad.status, 400);
  assert.ok(bad.body.error.json.data.fieldErrors.name && bad.body.error.json.data.fieldErrors.expiresInDays);
  // Demoting the owner demotes the token.
  await s.db.user.update({ where: { id: 'otto' }, data: { role: 'viewer' } });
  const me = await query('auth.me', undefined, { bearer: ok.body.result.data.json.token });
  assert.equal(me.body.result.data.json.user.role, 'viewer');
  await s.db.user.update({ where: { id: 'otto' }, data: { role: 'operator' } });
});

test('expired, revoked, unknown and malformed tokens get 401 and are audited as denied', async () => {
  const made = await mutate('tokens.create', { name: 'short', role: 'viewer', expiresInDays: 1 }, { cookie: operatorCookie });
  const token: string = made.body.result.data.json.token;
  assert.equal((await query('tokens.list', undefined, { bearer: token })).status, 200);
  await s.db.apiToken.update({ where: { id: made.body.result.data.json.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  assert.equal((await query('tokens.list', undefined, { bearer: token })).status, 401);
  const expired = await s.db.auditLog.findFirst({ where: { action: 'token.use', result: 'denied', target: { startsWith: 'short: ' } } });
  assert.match(expired?.error ?? '', /expired/);

  const other = await mutate('tokens.create', { name: 'gone', role: 'viewer', expiresInDays: 1 }, { cookie: operatorCookie });
  const rev = await mutate('tokens.revoke', { id: other.body.result.data.json.id }, { cookie: operatorCookie });
  assert.equal(rev.status, 200);
  assert.equal((await query('tokens.list', undefined, { bearer: other.body.result.data.json.token })).status, 401);

  assert.equal((await query('tokens.list', undefined, { bearer: `${TOKEN_PREFIX}${'A'.repeat(43)}` })).status, 401);
  // A bad Bearer is not rescued by a valid cookie beside it.
  assert.equal((await query('tokens.list', undefined, { bearer: 'nonsense', cookie: operatorCookie })).status, 401);
  const malformed = await fetch(`${base}/api/trpc/tokens.list`, { headers: { authorization: 'Bearer' } });
  assert.equal(malformed.status, 401);
});

test('users revoke only their own tokens; admins revoke anyone\'s', async () => {
  const mine = await mutate('tokens.create', { name: 'ops', role: 'viewer', expiresInDays: 5 }, { cookie: operatorCookie });
  const id = mine.body.result.data.json.id;
  const adminTok = await mutate('tokens.create', { name: 'adm', role: 'admin', expiresInDays: 5 }, { cookie: adminCookie });
  assert.equal((await mutate('tokens.revoke', { id: adminTok.body.result.data.json.id }, { cookie: operatorCookie })).status, 404);
  assert.equal((await query('tokens.list', { all: true }, { cookie: operatorCookie })).status, 403);
  const all = await query('tokens.list', { all: true }, { cookie: adminCookie });
  assert.ok(all.body.result.data.json.some((t: { id: string; username: string }) => t.id === id && t.username === 'otto'));
  assert.equal((await mutate('tokens.revoke', { id }, { cookie: adminCookie })).status, 200);
  assert.equal(await s.db.apiToken.count({ where: { id } }), 0);
  const audit = await s.db.auditLog.findFirst({ where: { action: 'tokens.revoke', actorName: 'ada', result: 'success' } });
  assert.equal(audit?.target, 'otto/ops');
});

test('sessions: each user lists and revokes their own, admins anyone\'s', async () => {
  const second = await cookieOf('sam', 'viewer');
  const mine = await query('tokens.sessions', undefined, { cookie: second });
  assert.equal(mine.status, 200);
  const rows = mine.body.result.data.json as Array<{ id: string; username: string; current: boolean }>;
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.current, true);
  // sam cannot see or revoke otto's session.
  const ottos = (await query('tokens.sessions', undefined, { cookie: operatorCookie })).body.result.data.json as Array<{ id: string }>;
  assert.equal((await mutate('tokens.revokeSession', { id: ottos[0]!.id }, { cookie: second })).status, 404);
  assert.equal((await query('tokens.sessions', { all: true }, { cookie: second })).status, 403);
  // The admin revokes sam's session: sam is signed out at once.
  const everyone = (await query('tokens.sessions', { all: true }, { cookie: adminCookie })).body.result.data.json as Array<{ id: string; username: string }>;
  const sams = everyone.find((r) => r.username === 'sam')!;
  assert.equal((await mutate('tokens.revokeSession', { id: sams.id }, { cookie: adminCookie })).status, 200);
  assert.equal((await query('tokens.sessions', undefined, { cookie: second })).status, 401);
});

test('Bearer reaches the streamed HTTP routes and the websocket; the Host check still applies', async () => {
  const viewer = (await mutate('tokens.create', { name: 'v', role: 'viewer', expiresInDays: 1 }, { cookie: operatorCookie })).body.result.data.json.token as string;
  const operator = (await mutate('tokens.create', { name: 'o', role: 'operator', expiresInDays: 1 }, { cookie: operatorCookie })).body.result.data.json.token as string;
  // Logs download: 401 without credentials, 403 for the viewer token (authenticated, too weak).
  assert.equal((await fetch(`${base}/api/containers/abc/logs/download`)).status, 401);
  const weak = await fetch(`${base}/api/containers/abc/logs/download`, { headers: { authorization: `Bearer ${viewer}` } });
  assert.equal(weak.status, 403);
  // Image load (an upload) checks the token's role too.
  const load = await fetch(`${base}/api/images/load`, { method: 'POST', headers: { authorization: `Bearer ${viewer}` }, body: 'x' });
  assert.equal(load.status, 403);

  const wsStatus = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/exec`, { headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => { ws.close(); resolve(101); });
      ws.on('error', () => resolve(-1));
    });
  assert.equal(await wsStatus({}), 401);
  assert.equal(await wsStatus({ authorization: `Bearer ${viewer}` }), 403);
  assert.equal(await wsStatus({ authorization: `Bearer ${operator}` }), 101);
  const wsUse = await s.db.auditLog.findFirst({ where: { action: 'token.use', target: 'o: GET /ws/exec' } });
  assert.ok(wsUse);

  // DNS rebinding: a valid token under a foreign Host is still refused before it is looked at.
  const port = new URL(base).port;
  const rebound = await new Promise<number>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/trpc/auth.me', headers: { host: 'attacker.example', authorization: `Bearer ${operator}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  assert.equal(rebound, 421);
  // A browser page on another site cannot use it either (it would also need a CORS preflight, which is refused).
  const xsite = await mutate('tokens.revoke', { id: 'x' }, { bearer: operator, headers: { origin: 'http://evil.example' } });
  assert.equal(xsite.status, 403);
});

test('scoped roles: operator on one endpoint, viewer on another; tokens are capped by both', async () => {
  const vic = await cookieOf('vic', 'viewer');
  assert.equal((await mutate('identity.setEndpointRole', { userId: 'vic', endpointId: 'local', role: 'admin' }, { cookie: adminCookie })).status, 400);
  assert.equal((await mutate('identity.setEndpointRole', { userId: 'vic', endpointId: 'local', role: 'operator' }, { cookie: operatorCookie })).status, 403);
  assert.equal((await mutate('identity.setEndpointRole', { userId: 'vic', endpointId: 'local', role: 'operator' }, { cookie: adminCookie })).status, 200);
  const roleOn = async (auth: Auth) => (await query('auth.me', undefined, auth)).body.result.data.json.user.role as string;
  assert.equal(await roleOn({ cookie: vic }), 'operator');
  assert.equal(await roleOn({ cookie: vic, headers: { 'x-berth-endpoint': 'staging' } }), 'viewer');

  const wsStatus = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/exec`, { headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => (ws.close(), resolve(101)));
      ws.on('error', () => resolve(-1));
    });
  assert.equal(await wsStatus({ cookie: vic }), 101);
  assert.equal(await wsStatus({ cookie: `${vic}; berth_endpoint=staging` }), 403);

  // Lowering works too: otto is operator globally, viewer on staging; his operator token follows.
  await mutate('identity.setEndpointRole', { userId: 'otto', endpointId: 'staging', role: 'viewer' }, { cookie: adminCookie });
  const tok = (await mutate('tokens.create', { name: 'scoped', role: 'operator', expiresInDays: 1 }, { cookie: operatorCookie })).body.result.data.json.token as string;
  assert.equal(await roleOn({ bearer: tok }), 'operator');
  assert.equal(await roleOn({ bearer: tok, headers: { 'x-berth-endpoint': 'staging' } }), 'viewer');
  // A viewer token stays viewer where its owner is operator.
  const vtok = (await mutate('tokens.create', { name: 'vic-ro', role: 'viewer', expiresInDays: 1 }, { cookie: vic })).body.result.data.json.token as string;
  assert.equal(await roleOn({ bearer: vtok }), 'viewer');
  // Removing the override restores the global role.
  await mutate('identity.setEndpointRole', { userId: 'vic', endpointId: 'local', role: null }, { cookie: adminCookie });
  assert.equal(await roleOn({ cookie: vic }), 'viewer');
  // Admins stay admins everywhere.
  assert.equal(await roleOn({ cookie: adminCookie, headers: { 'x-berth-endpoint': 'staging' } }), 'admin');
});
