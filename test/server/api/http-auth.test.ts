import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { hashPassword } from '../../../server/auth/password.ts';
import { createRequestHandler } from '../../../server/http/handler.ts';
import { createTestServices, listen, type TestServices } from '../../support/services.ts';
import { createUpgradeHandler } from '../../../server/ws/upgrade.ts';
import { execUnavailableRoute } from '../../../server/ws/exec-placeholder.ts';
import { appRouter, PUBLIC_PROCEDURES } from '../../../server/api/root.ts';

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

type Procedures = Record<string, { _def: { type: 'query' | 'mutation' | 'subscription' } }>;
const procedures = (appRouter._def as unknown as { procedures: Procedures }).procedures;

async function call(path: string, type: string, cookie?: string, origin?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (cookie) headers.cookie = cookie;
  if (origin) headers.origin = origin;
  if (type === 'mutation') return fetch(`${base}/api/trpc/${path}`, { method: 'POST', headers, body: '{"json":{}}' });
  return fetch(`${base}/api/trpc/${path}`, { headers });
}

test('every procedure but the public ones refuses a request without a session with 401', async () => {
  const paths = Object.keys(procedures);
  assert.ok(paths.length >= 10, `router has ${paths.length} procedures`);
  for (const p of PUBLIC_PROCEDURES) assert.ok(paths.includes(p), `${p} exists`);
  for (const path of paths) {
    if ((PUBLIC_PROCEDURES as readonly string[]).includes(path)) continue;
    const res = await call(path, procedures[path]!._def.type);
    assert.equal(res.status, 401, `${path} answered ${res.status}`);
  }
  const me = await call('auth.me', 'query');
  assert.equal(me.status, 200);
});

async function signIn(username: string, role: string): Promise<string> {
  await s.db.user.create({ data: { id: username, username, role, passwordHash: await hashPassword('long enough password') } });
  const res = await fetch(`${base}/api/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { username, password: 'long enough password' } }),
  });
  assert.equal(res.status, 200);
  const cookie = res.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  return cookie.split(';')[0]!;
}

test('a viewer calling a mutation directly gets 403, and a cross-origin POST is refused', async () => {
  const viewer = await signIn('vera', 'viewer');
  const res = await fetch(`${base}/api/trpc/users.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: viewer },
    body: JSON.stringify({ json: { username: 'mallory', password: 'long enough password', role: 'admin' } }),
  });
  assert.equal(res.status, 403);
  assert.equal(await s.db.user.count({ where: { username: 'mallory' } }), 0);
  const xsite = await call('auth.logout', 'mutation', viewer, 'http://evil.example');
  assert.equal(xsite.status, 403);
  const same = await call('auth.logout', 'mutation', viewer, base);
  assert.equal(same.status, 200);
});

function upgrade(headers: Record<string, string>): Promise<{ status: number; frames: Buffer[] }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/exec`, { headers });
    const frames: Buffer[] = [];
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, frames }));
    ws.on('message', (data) => frames.push(data as Buffer));
    ws.on('close', () => resolve({ status: 101, frames }));
    ws.on('error', () => undefined);
  });
}

test('/ws/exec refuses no session (401), a viewer (403) and a foreign Origin (403)', async () => {
  assert.equal((await upgrade({})).status, 401);
  const viewer = await signIn('victor', 'viewer');
  assert.equal((await upgrade({ cookie: viewer })).status, 403);
  const operator = await signIn('otto', 'operator');
  assert.equal((await upgrade({ cookie: operator, origin: 'http://evil.example' })).status, 403);
  const ok = await upgrade({ cookie: operator, origin: base });
  assert.equal(ok.status, 101);
  assert.equal(ok.frames[0]?.[0], 3, 'an error frame on channel 3 says why there is no terminal yet');
});

test('the last admin can be neither demoted nor deleted', async () => {
  const admin = await signIn('root-admin', 'admin');
  const post = (path: string, json: unknown) =>
    fetch(`${base}/api/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: admin }, body: JSON.stringify({ json }) });
  assert.equal((await post('users.setRole', { id: 'root-admin', role: 'viewer' })).status, 412);
  assert.equal((await post('users.remove', { id: 'root-admin' })).status, 412);
  assert.equal((await s.db.user.findUnique({ where: { id: 'root-admin' } }))?.role, 'admin');
});

test('login is throttled after repeated failures', async () => {
  const attempt = () =>
    fetch(`${base}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { username: 'nobody', password: 'wrong password!!' } }),
    });
  for (let i = 0; i < 5; i++) assert.equal((await attempt()).status, 401);
  const limited = await attempt();
  assert.equal(limited.status, 429);
  assert.match(await limited.text(), /Too many failed sign-ins/);
});
