import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { createRequestHandler } from '../../../server/http/handler.ts';
import { createTestServices, listen, type TestServices } from '../../support/services.ts';
import { hashPassword } from '../../../server/auth/password.ts';

let s: TestServices;
let server: http.Server;
let base: string;

before(async () => {
  s = createTestServices();
  const handler = createRequestHandler(s, null);
  server = http.createServer((req, res) => void handler(req, res));
  base = await listen(server);
  const passwordHash = await hashPassword('long enough password');
  await s.db.user.createMany({
    data: [
      { id: 'root', username: 'root', role: 'admin', passwordHash },
      { id: 'ann', username: 'ann', role: 'admin', passwordHash },
      { id: 'oscar', username: 'oscar', role: 'operator', passwordHash },
    ],
  });
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await s.cleanup();
});

async function login(username: string): Promise<{ status: number; cookie: string; message?: string }> {
  const res = await fetch(`${base}/api/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ json: { username, password: 'long enough password' } }) });
  const body = (await res.json()) as { error?: { json: { message: string } } };
  return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, message: body.error?.json.message };
}

async function mutate(path: string, input: unknown, cookie: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ json: input }) });
  return { status: res.status, body: await res.json() };
}

test('local sign-in can be turned off only with a local admin as break-glass, who alone may then sign in', async () => {
  const admin = (await login('ann')).cookie;
  const noBreakGlass = await mutate('identity.setLocalLogin', { enabled: false, breakGlass: '' }, admin);
  assert.equal(noBreakGlass.status, 412);
  assert.equal((await mutate('identity.setLocalLogin', { enabled: false, breakGlass: 'oscar' }, admin)).status, 412);
  assert.equal((await mutate('identity.setLocalLogin', { enabled: false, breakGlass: 'root' }, admin)).status, 200);

  const refused = await login('oscar');
  assert.equal(refused.status, 403);
  assert.match(refused.message ?? '', /Local sign-in is turned off/);
  assert.equal((await login('root')).status, 200);
  // A wrong password still says only that, whatever the policy.
  const wrong = await fetch(`${base}/api/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ json: { username: 'oscar', password: 'wrong password!!' } }) });
  assert.equal(wrong.status, 401);

  const methods = await fetch(`${base}/api/trpc/identity.methods`);
  assert.equal(((await methods.json()) as any).result.data.json.localEnabled, false);
  assert.equal((await mutate('identity.setLocalLogin', { enabled: true, breakGlass: 'root' }, admin)).status, 200);
  assert.equal((await login('oscar')).status, 200);
});

test('only admins read or change identity settings; the OIDC client secret is sealed and never answered', async () => {
  const operator = (await login('oscar')).cookie;
  assert.equal((await mutate('identity.setLocalLogin', { enabled: true, breakGlass: '' }, operator)).status, 403);
  const admin = (await login('ann')).cookie;
  const cfg = {
    issuer: 'https://idp.example', clientId: 'berth', clientSecret: 'very-secret-value', redirectUri: 'https://berth.example/api/auth/oidc/callback',
    roleClaim: 'groups', mappings: [{ value: 'ops', role: 'operator' }], unmatched: 'deny', enabled: true, scope: 'openid profile groups',
  };
  assert.equal((await mutate('identity.setOidc', { ...cfg, redirectUri: 'https://berth.example/elsewhere' }, admin)).status, 400);
  assert.equal((await mutate('identity.setOidc', { ...cfg, unmatched: 'admin' }, admin)).status, 400);
  assert.equal((await mutate('identity.setOidc', cfg, admin)).status, 200);
  const row = await s.db.setting.findUniqueOrThrow({ where: { key: 'identity.oidc' } });
  assert.ok(!row.value.includes('very-secret-value'));
  const got = await fetch(`${base}/api/trpc/identity.get`, { headers: { cookie: admin } });
  const text = await got.text();
  assert.ok(!text.includes('very-secret-value'));
  assert.match(text, /"hasClientSecret":true/);
  // Saving again with an empty secret keeps the stored one.
  assert.equal((await mutate('identity.setOidc', { ...cfg, clientSecret: '' }, admin)).status, 200);
  assert.match(await (await fetch(`${base}/api/trpc/identity.get`, { headers: { cookie: admin } })).text(), /"hasClientSecret":true/);

  const ldap = { url: 'ldap://ldap.example:389', startTls: false, bindDn: 'cn=svc,dc=x', bindPassword: 'ldap-bind-secret', userBase: 'ou=people,dc=x', groupBase: 'ou=groups,dc=x', mappings: [] };
  const clear = await mutate('identity.setLdap', { settings: ldap }, admin);
  assert.equal(clear.status, 400);
  assert.match(clear.body.error.json.message, /ldaps:\/\/ or turn StartTLS on/);
  assert.equal((await mutate('identity.setLdap', { settings: { ...ldap, startTls: true } }, admin)).status, 200);
  assert.equal((await mutate('identity.setLdap', { settings: { ...ldap, startTls: true } }, operator)).status, 403);
  const stored = await s.db.setting.findUniqueOrThrow({ where: { key: 'identity.ldap' } });
  assert.ok(!stored.value.includes('ldap-bind-secret'));
  assert.ok(!(await (await fetch(`${base}/api/trpc/identity.get`, { headers: { cookie: admin } })).text()).includes('ldap-bind-secret'));
});
