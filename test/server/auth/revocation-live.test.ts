// Revocation reaches open connections at once (SSE subscriptions and websockets), and the page guard
// sees per-endpoint roles as tRPC does. Real HTTP server, real tRPC SSE stream, real websocket client.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { createRequestHandler } from '../../../server/http/handler.ts';
import { createTestServices, listen, type TestServices } from '../../support/services.ts';
import { createUpgradeHandler } from '../../../server/ws/upgrade.ts';
import { liveCredentials } from '../../../server/auth/live-credentials.ts';
import { hashPassword } from '../../../server/auth/password.ts';

let s: TestServices;
let server: http.Server;
let base: string;

before(async () => {
  s = createTestServices();
  // Pages answer 200 "page" once the guard lets them through.
  const handler = createRequestHandler(s, (_req, res) => void res.end('page'), '/nonexistent');
  server = http.createServer((req, res) => void handler(req, res));
  // A socket that stays open until someone closes it: what is tested is the upgrade's tracking.
  const upgrade = createUpgradeHandler(s, { '/ws/hold': { role: 'viewer', onConnection: () => undefined } }, null);
  server.on('upgrade', (req, socket, head) => void upgrade(req, socket, head));
  base = await listen(server);
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await s.cleanup();
});

const json = { 'content-type': 'application/json' };

async function cookieOf(username: string, role: string): Promise<string> {
  if (!(await s.db.user.findUnique({ where: { username } }))) {
    await s.db.user.create({ data: { id: username, username, role, passwordHash: await hashPassword('long enough password') } });
  }
  const res = await fetch(`${base}/api/trpc/auth.login`, { method: 'POST', headers: json, body: JSON.stringify({ json: { username, password: 'long enough password' } }) });
  assert.equal(res.status, 200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

async function mutate(path: string, input: unknown, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/trpc/${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify({ json: input }) });
  return { status: res.status, body: await res.json() };
}

/** Opens the hostUsage SSE subscription; resolves `ended` with everything received once the server closes it. */
async function openStream(headers: Record<string, string>): Promise<{ first: Promise<void>; ended: Promise<string> }> {
  const res = await fetch(`${base}/api/trpc/system.hostUsage`, { headers: { accept: 'text/event-stream', ...headers } });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  let text = '';
  let gotFirst: () => void = () => undefined;
  const first = new Promise<void>((r) => (gotFirst = r));
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += Buffer.from(value).toString();
      if (/\ndata: /.test(text)) gotFirst();
    }
  })();
  return { first, ended };
}

function openSocket(headers: Record<string, string>): Promise<{ closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/hold`, { headers });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('open', () => resolve({ closed }));
    ws.on('unexpected-response', (_q, r) => reject(new Error(`upgrade answered ${r.statusCode}`)));
    ws.on('error', reject);
  });
}

test('revoking a session ends its open SSE subscription and websocket at once; the next request is 401', async () => {
  const admin = await cookieOf('root', 'admin');
  const ana = await cookieOf('ana', 'viewer');
  const other = await cookieOf('ana', 'viewer');
  const stream = await openStream({ cookie: ana });
  const otherStream = await openStream({ cookie: other });
  await stream.first;
  await otherStream.first;
  const socket = await openSocket({ cookie: ana });

  const sessions = (await (await fetch(`${base}/api/trpc/tokens.sessions?input=${encodeURIComponent(JSON.stringify({ json: { all: true } }))}`, { headers: { cookie: admin } })).json()) as any;
  const mine = await s.db.session.findUniqueOrThrow({ where: { tokenHash: (await import('../../../server/auth/sessions.ts')).hashToken(ana.split('=')[1]!) } });
  assert.ok(sessions.result.data.json.some((r: { id: string }) => r.id === mine.id));
  assert.equal((await mutate('tokens.revokeSession', { id: mine.id }, { cookie: admin })).status, 200);

  const text = await stream.ended;
  assert.match(text, /event: serialized-error/);
  assert.match(text, /Your session was revoked; sign in again\./);
  assert.deepEqual(await socket.closed, { code: 1008, reason: 'Your session was revoked; sign in again.' });
  // Only that session: the same user's other browser keeps streaming.
  const stillOpen = await Promise.race([otherStream.ended.then(() => 'ended'), new Promise((r) => setTimeout(() => r('open'), 300))]);
  assert.equal(stillOpen, 'open');
  const me = (await (await fetch(`${base}/api/trpc/auth.me`, { headers: { cookie: ana } })).json()) as any;
  assert.equal(me.result.data.json.user, null);
  assert.equal((await fetch(`${base}/api/trpc/system.hostUsage`, { headers: { accept: 'text/event-stream', cookie: ana } })).status, 401);

  // Logging out everywhere (password change) ends the other one too.
  const changed = await mutate('auth.changePassword', { currentPassword: 'long enough password', newPassword: 'another long password' }, { cookie: other });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  assert.match(await otherStream.ended, /Your session was revoked/);
});

test('revoking an API token ends the streams it opened; the next request with it is 401', async () => {
  const bo = await cookieOf('bo', 'operator');
  const created = await mutate('tokens.create', { name: 'ci', role: 'viewer', expiresInDays: 1 }, { cookie: bo });
  const token = created.body.result.data.json.token as string;
  const id = created.body.result.data.json.id as string;
  const stream = await openStream({ authorization: `Bearer ${token}` });
  await stream.first;
  const socket = await openSocket({ authorization: `Bearer ${token}` });
  const boStream = await openStream({ cookie: bo });
  await boStream.first;

  assert.equal((await mutate('tokens.revoke', { id }, { cookie: bo })).status, 200);
  assert.match(await stream.ended, /Your API token was revoked; sign in again\./);
  assert.equal((await socket.closed).code, 1008);
  assert.equal((await fetch(`${base}/api/trpc/auth.me`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  const again = await fetch(`${base}/api/trpc/system.hostUsage`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } });
  assert.equal(again.status, 401);
  // The owner's own browser session is a different credential and keeps going.
  const stillOpen = await Promise.race([boStream.ended.then(() => 'ended'), new Promise((r) => setTimeout(() => r('open'), 300))]);
  assert.equal(stillOpen, 'open');
  assert.ok(await s.db.auditLog.findFirst({ where: { action: 'tokens.revoke', result: 'success', target: 'bo/ci' } }));
});

test('a role change by an admin ends the user\'s open streams so they reconnect under the new role', async () => {
  const admin = await cookieOf('root', 'admin');
  const cy = await cookieOf('cy', 'operator');
  const stream = await openStream({ cookie: cy });
  await stream.first;
  assert.equal((await mutate('users.setRole', { id: 'cy', role: 'viewer' }, { cookie: admin })).status, 200);
  assert.match(await stream.ended, /Your account was changed by an admin/);
  // Still signed in (the session stays), now as viewer.
  const me = (await (await fetch(`${base}/api/trpc/auth.me`, { headers: { cookie: cy } })).json()) as any;
  assert.equal(me.result.data.json.user.role, 'viewer');
});

test('closed connections leave the registry', async () => {
  const dee = await cookieOf('dee', 'viewer');
  const before = liveCredentials.size;
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/hold`, { headers: { cookie: dee } });
  await new Promise((r) => ws.on('open', r));
  assert.equal(liveCredentials.size, before + 1);
  ws.close();
  for (let i = 0; i < 50 && liveCredentials.size !== before; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(liveCredentials.size, before);
});

test('the page guard uses the role on the chosen endpoint: operator pages on A only', async () => {
  const admin = await cookieOf('root', 'admin');
  const eve = await cookieOf('eve', 'viewer');
  assert.equal((await mutate('identity.setEndpointRole', { userId: 'eve', endpointId: 'local', role: 'operator' }, { cookie: admin })).status, 200);
  const page = async (path: string, cookie: string) => {
    const res = await fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' });
    return res.status === 302 ? (res.headers.get('location') ?? '') : String(res.status);
  };
  assert.equal(await page('/containers/new', eve), '200');
  assert.equal(await page('/containers/new', `${eve}; berth_endpoint=local`), '200');
  assert.equal(await page('/stacks/new', `${eve}; berth_endpoint=local`), '200');
  assert.equal(await page('/containers/new', `${eve}; berth_endpoint=staging`), '/forbidden?need=operator');
  assert.equal(await page('/stacks/new', `${eve}; berth_endpoint=staging`), '/forbidden?need=operator');
  assert.equal(await page('/containers', `${eve}; berth_endpoint=staging`), '200');
  // Scoped operator is never admin.
  assert.equal(await page('/settings/users', eve), '/forbidden?need=admin');
  // The same split holds for operator-only subscriptions (SSE): refused on staging, audited.
  const pull = (cookie: string) => fetch(`${base}/api/trpc/images.pull?input=${encodeURIComponent(JSON.stringify({ json: { ref: 'busybox:latest' } }))}`, { headers: { accept: 'text/event-stream', cookie } });
  const refused = await pull(`${eve}; berth_endpoint=staging`);
  const body = await refused.text();
  assert.match(body, /This needs the operator role; you are viewer/);
  assert.ok(await s.db.auditLog.findFirst({ where: { action: 'images.pull', result: 'denied', actorName: 'eve' } }));
});
