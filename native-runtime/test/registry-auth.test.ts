// Token auth against a real registry: the registry trusts a certificate our Node token server signs with.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { openImageStores } from '../src/images/open.js';
import { buildBusyboxImage } from '../src/starter/busybox.js';
import { RegistryPolicy } from '../src/registry/allow-list.js';
import { parseChallenges } from '../src/registry/auth.js';
import { RegistrySession } from '../src/registry/client.js';
import { headBlob } from '../src/registry/blobs.js';
import { pull } from '../src/registry/pull.js';
import { push } from '../src/registry/push.js';
import { tmpRoot } from './layers-helpers.js';
import { registryAvailable, startRegistry, type RegistryServer } from './support/registry-server.js';
import { startTokenServer, type TokenServer } from './support/token-server.js';

const policy = new RegistryPolicy({ offline: true });

test('WWW-Authenticate parsing', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull,push' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
});

test('Basic auth: credentials from authconfig.auth are sent after a Basic challenge', async () => {
  const seen: Array<string | undefined> = [];
  const srv = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== 'Basic ' + Buffer.from('alice:s3cret').toString('base64')) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"', 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    res.writeHead(req.url === '/v2/' ? 200 : 404).end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const host = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const auth = Buffer.from('alice:s3cret').toString('base64');
    const s = await RegistrySession.open(host, { policy, pull: true, authconfig: { auth, serveraddress: host } });
    assert.equal(await headBlob(s, 'x/y', 'sha256:' + '0'.repeat(64)), null);
    assert.equal(seen[0], undefined); // the ping is anonymous
    assert.ok(seen.slice(1).every((h) => h?.startsWith('Basic ')));
    const anon = await RegistrySession.open(host, { policy, pull: true });
    await assert.rejects(headBlob(anon, 'x/y', 'sha256:' + '0'.repeat(64)), /unauthorized: authentication required/);
  } finally {
    srv.closeAllConnections();
    srv.close();
  }
});

describe('token auth (registry with auth.token, ES256 + x5c)', () => {
  let reg: RegistryServer;
  let tok: TokenServer;
  before(async () => {
    tok = await startTokenServer({ users: { alice: 'wonderland' } });
    reg = await startRegistry({ token: { realm: tok.realm, service: tok.service, issuer: tok.issuer, rootcertbundle: tok.certPath } });
  });
  after(async () => {
    await reg?.stop();
    await tok?.stop();
  });

  test('push is refused without credentials and works with them; pull with a token', async (t) => {
    const src = await openImageStores(await tmpRoot(t));
    const bb = await buildBusyboxImage(src);
    const ref = `${reg.host}/private/busybox:1`;
    await src.images.tag(bb.id, ref);
    await assert.rejects(push(src, ref, { policy }), (e: Error & { statusCode?: number }) => {
      assert.equal(e.statusCode, 401);
      assert.match(e.message, /unauthorized: authentication required/);
      return true;
    });
    await assert.rejects(push(src, ref, { policy, authconfig: { username: 'alice', password: 'wrong' } }), /incorrect username or password/);
    const r = await push(src, ref, { policy, authconfig: { username: 'alice', password: 'wonderland', serveraddress: reg.host } });
    assert.equal(r.digest, (await src.images.get(bb.id)).manifestDigest);
    assert.ok(tok.requests.some((q) => q.account === 'alice' && q.scopes.includes('repository:private/busybox:pull,push')));

    const dst = await openImageStores(await tmpRoot(t));
    await assert.rejects(pull(dst, ref, { policy }), (e: Error & { statusCode?: number }) => e.statusCode === 401);
    const auth = Buffer.from('alice:wonderland').toString('base64');
    const got = await pull(dst, ref, { policy, authconfig: { auth } });
    assert.equal(got.imageId, bb.id);
  });
});
