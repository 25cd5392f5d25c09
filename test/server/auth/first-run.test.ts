import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import { test } from 'node:test';
import { createRequestHandler } from '../../../server/http/handler.ts';
import { loadConfig } from '../../../server/config.ts';
import { createTestServices } from '../../support/services.ts';
import { SetupToken } from '../../../server/auth/setup-token.ts';

function post(base: string, path: string, json: unknown, agent?: https.Agent): Promise<{ status: number; setCookie: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ json });
    const req = https.request(
      `${base}/api/trpc/${path}`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('off loopback, first-run setup needs the one-time token; over TLS the session cookie is Secure', async () => {
  const s = createTestServices({ host: '0.0.0.0' });
  const key = `${s.config.root}/tls.key`;
  const cert = `${s.config.root}/tls.crt`;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const services = { ...s, setupToken: new SetupToken(true), config: { ...s.config, tls: { key, cert } } };
  const handler = createRequestHandler(services, null);
  const server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  const agent = new https.Agent({ ca: fs.readFileSync(cert) });
  try {
    const creds = { username: 'admin', password: 'a long enough password' };
    const without = await post(base, 'auth.setup', creds, agent);
    assert.equal(without.status, 403);
    assert.match(without.body, /setup token/);
    const wrong = await post(base, 'auth.setup', { ...creds, setupToken: 'nope' }, agent);
    assert.equal(wrong.status, 403);
    assert.equal(await s.db.user.count(), 0, 'no account was created without the token');

    const ok = await post(base, 'auth.setup', { ...creds, setupToken: services.setupToken.value }, agent);
    assert.equal(ok.status, 200);
    const cookie = ok.setCookie.find((c) => c.startsWith('berth_session='));
    assert.ok(cookie, 'a session cookie is set');
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.equal((await post(base, 'auth.setup', { ...creds, setupToken: services.setupToken.value }, agent)).status, 409);
  } finally {
    server.closeAllConnections();
    server.close();
    await s.cleanup();
  }
});

test('TLS_CERT and TLS_KEY go together; HOST and PORT are read from the environment', () => {
  assert.throws(() => loadConfig({ TLS_CERT: '/x' }), /TLS_CERT and TLS_KEY must be set together/);
  const c = loadConfig({ HOST: '0.0.0.0', PORT: '3999', BERTH_ROOT: '/tmp/x', TLS_CERT: '/c', TLS_KEY: '/k' });
  assert.deepEqual([c.host, c.port, c.root, c.databaseFile, c.tls], ['0.0.0.0', 3999, '/tmp/x', '/tmp/x/dashboard.db', { cert: '/c', key: '/k' }]);
  assert.equal(loadConfig({ DATABASE_URL: 'file:/tmp/other.db' }).databaseFile, '/tmp/other.db');
  assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://x' }), /SQLite file: URL/);
});
