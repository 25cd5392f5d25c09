// The attacks of issue 15 (items 2 and 3) against the real request handler on loopback: a page on
// another port of 127.0.0.1 driving the state-changing SSE subscriptions with the admin's cookie, and a
// DNS-rebound name claiming first-run setup.
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import { after, before, beforeEach, test } from 'node:test';
import WebSocket from 'ws';
import type { Engine } from '@berth/runtime/engine';
import { hashPassword } from '../../../server/auth/password.ts';
import { SetupToken } from '../../../server/auth/setup-token.ts';
import { hostAllowed } from '../../../server/auth/request-origin.ts';
import { loadConfig, parseAllowedHosts } from '../../../server/config.ts';
import { EngineHub } from '../../../server/engine/hub.ts';
import { createTestServices, listen, type TestServices } from '../../support/services.ts';
import { execUnavailableRoute } from '../../../server/ws/exec-placeholder.ts';
import { createUpgradeHandler } from '../../../server/ws/upgrade.ts';
import { createRequestHandler } from '../../../server/http/handler.ts';

let s: TestServices;
let server: http.Server;
let base: string;
let port: number;
/** Every pull the engine was asked for: the state change a cross-site page must not cause. */
const pulls: string[] = [];

// The engine only records what it is asked to do; what is under test is the HTTP layer in front of it.
const recordingEngine = {
  pull: async (ref: string) => {
    pulls.push(ref);
    return Readable.from([`${JSON.stringify({ status: 'Pulled', id: ref })}\n`]);
  },
} as unknown as Engine;

before(async () => {
  const t = createTestServices({ allowedHosts: ['berth.example'] });
  s = { ...t, engines: new EngineHub({ isRoot: true, createEmbedded: () => recordingEngine }) };
  const handler = createRequestHandler(s, (_req, res) => void res.end('page'));
  server = http.createServer((req, res) => void handler(req, res));
  const upgrade = createUpgradeHandler(s, { '/ws/exec': execUnavailableRoute }, null);
  server.on('upgrade', (req, socket, head) => void upgrade(req, socket, head));
  base = await listen(server);
  port = Number(new URL(base).port);
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await s.cleanup();
});
beforeEach(async () => {
  pulls.length = 0;
  await s.db.auditLog.deleteMany();
});

/** A raw request: fetch() would not let us set Host. */
function request(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    // SSE streams end when the generator does; a cap keeps a regression from hanging the test.
    req.setTimeout(5000, () => req.destroy(new Error(`timeout on ${path}`)));
    req.end(opts.body);
  });
}

let users = 0;
async function signIn(role: string): Promise<string> {
  const username = `${role}${++users}`;
  await s.db.user.create({ data: { id: username, username, role, passwordHash: await hashPassword('long enough password') } });
  const res = await fetch(`${base}/api/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { username, password: 'long enough password' } }),
  });
  assert.equal(res.status, 200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

const pullPath = (ref: string) => `/api/trpc/images.pull?input=${encodeURIComponent(JSON.stringify({ json: { ref } }))}`;

test('a page on another port of 127.0.0.1 cannot pull over the SSE GET with the cookie; the refusal is audited', async () => {
  const cookie = await signIn('admin');
  // EventSource from http://127.0.0.1:8080 sends Origin (it is a CORS request) and Sec-Fetch-Site: same-site.
  const evil = await request(pullPath('evil/miner'), { headers: { cookie, origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-site' } });
  assert.equal(evil.status, 403);
  // Fetch metadata alone is enough when a browser leaves Origin off.
  const noOrigin = await request(pullPath('evil/miner'), { headers: { cookie, 'sec-fetch-site': 'cross-site' } });
  assert.equal(noOrigin.status, 403);
  assert.deepEqual(pulls, [], 'the engine was never asked to pull');
  const rows = await s.db.auditLog.findMany({ where: { action: 'http.cross-origin-refused' } });
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.result, 'denied');
  assert.equal(rows[0]!.actorName, `admin${users}`);
  assert.match(rows[0]!.target ?? '', /^GET \/api\/trpc\/images\.pull/);
  assert.match(rows[0]!.error ?? '', /same-site/);

  // The dashboard itself (same-origin EventSource) still pulls, and so does a client without fetch metadata.
  const ok = await request(pullPath('busybox:1'), { headers: { cookie, 'sec-fetch-site': 'same-origin' } });
  assert.equal(ok.status, 200);
  assert.match(ok.body, /Pulled/);
  const cli = await request(pullPath('busybox:2'), { headers: { cookie } });
  assert.equal(cli.status, 200);
  assert.deepEqual(pulls, ['busybox:1', 'busybox:2']);
});

test('a viewer\'s attempt at a state-changing subscription is refused and audited', async () => {
  const cookie = await signIn('viewer');
  await request(pullPath('busybox:3'), { headers: { cookie, 'sec-fetch-site': 'same-origin' } });
  assert.deepEqual(pulls, []);
  const rows = await s.db.auditLog.findMany({ where: { action: 'images.pull' } });
  assert.equal(rows.length, 1, 'one audit row for the refused pull');
  assert.deepEqual([rows[0]!.actorName, rows[0]!.result, rows[0]!.target], [`viewer${users}`, 'denied', 'busybox:3']);
  assert.match(rows[0]!.error ?? '', /operator role/);
});

test('other GETs: cross-site reads of the API are refused; a typed URL and a same-origin page load are served', async () => {
  const cookie = await signIn('operator');
  assert.equal((await request('/api/trpc/auth.me', { headers: { cookie, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' } })).status, 403);
  assert.equal((await request('/api/containers/x/logs/download', { headers: { cookie, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate' } })).status, 403);
  assert.equal((await request('/api/trpc/auth.me', { headers: { cookie, 'sec-fetch-site': 'same-origin' } })).status, 200);
  const typed = await request('/', { headers: { cookie, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' } });
  assert.deepEqual([typed.status, typed.body], [200, 'page']);
  // A link from another site gets a page that acts on nothing and links to the dashboard.
  const linked = await request('/images?pull=evil', { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } });
  assert.equal(linked.status, 403);
  assert.match(linked.body, /href="\/"/);
});

const setup = (headers: Record<string, string>, setupToken?: string) =>
  request('/api/trpc/auth.setup', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ json: { username: 'admin', password: 'a long enough password', ...(setupToken ? { setupToken } : {}) } }),
  });

test('DNS rebinding: a request naming another host is refused with 421 and cannot claim first-run setup', async () => {
  await s.db.user.deleteMany();
  // The attacker's page at http://attacker.example:<port>, its name rebound to 127.0.0.1: same origin as far as Origin goes.
  const rebound = await setup({ host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` });
  assert.equal(rebound.status, 421);
  assert.equal(await s.db.user.count(), 0, 'no admin was created');
  assert.equal((await request('/api/trpc/auth.me', { headers: { host: `attacker.example:${port}` } })).status, 421);
  assert.equal((await request('/', { headers: { host: 'evil@127.0.0.1' } })).status, 421, 'a Host with userinfo is malformed');
  const rows = await s.db.auditLog.findMany({ where: { action: 'http.host-refused' } });
  assert.equal(rows.length, 3);
  assert.equal(rows[0]!.actorType, 'anonymous');

  // The websocket takes the same Host check.
  const ws = await new Promise<number>((resolve) => {
    const sock = new WebSocket(`ws://127.0.0.1:${port}/ws/exec`, { headers: { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` } });
    sock.on('unexpected-response', (_r, res) => resolve(res.statusCode ?? 0));
    sock.on('open', () => resolve(101));
    sock.on('error', () => undefined);
  });
  assert.equal(ws, 421);
});

test('setup needs the token unless a loopback peer names a loopback Host without a proxy in between', async () => {
  await s.db.user.deleteMany();
  // A configured extra name (BERTH_ALLOWED_HOSTS) is served, but it is not this machine's browser.
  const named = await setup({ host: `berth.example:${port}`, origin: `http://berth.example:${port}` });
  assert.equal(named.status, 403);
  assert.match(named.body, /setup token/);
  // A proxy on this machine is a loopback peer that may rewrite Host to 127.0.0.1.
  const proxied = await setup({ host: `127.0.0.1:${port}`, 'x-forwarded-for': '198.51.100.7' });
  assert.equal(proxied.status, 403);
  assert.equal(await s.db.user.count(), 0);
  const me = await request('/api/trpc/auth.me', { headers: { host: `berth.example:${port}` } });
  assert.equal(JSON.parse(me.body).result.data.json.setupTokenRequired, true);

  const withToken = await setup({ host: `berth.example:${port}` }, s.setupToken.value);
  assert.equal(withToken.status, 200);
  await s.db.user.deleteMany();
  const local = await setup({ host: `localhost:${port}`, origin: `http://localhost:${port}` });
  assert.equal(local.status, 200, 'a browser on this machine needs no token');
});

test('host names: loopback, HOST, BERTH_ALLOWED_HOSTS (.suffix for subdomains); a wildcard HOST adds the local addresses', () => {
  const p = { listenHost: '127.0.0.1', allowedHosts: ['.corp.example', 'berth.example'] };
  for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', 'berth.example', 'corp.example', 'a.corp.example']) assert.ok(hostAllowed(h, p), h);
  for (const h of ['attacker.example', 'localhost.attacker.example', 'xcorp.example', '10.0.0.1', '0.0.0.0']) assert.ok(!hostAllowed(h, p), h);
  assert.ok(hostAllowed('192.0.2.10', { listenHost: '192.0.2.10', allowedHosts: [] }));
  assert.ok(!hostAllowed('198.51.100.1', { listenHost: '0.0.0.0', allowedHosts: [] }), 'not an address of this machine');
  assert.deepEqual(parseAllowedHosts(' Berth.Example, .corp.example ,'), ['berth.example', '.corp.example']);
  assert.throws(() => loadConfig({ BERTH_ALLOWED_HOSTS: 'http://berth.example' }), /not a host name/);
  assert.equal(new SetupToken(true).requiredFor(null), true, 'off loopback the token is always needed');
});
