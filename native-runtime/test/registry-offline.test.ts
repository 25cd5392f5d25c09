// The registry policy decides before any DNS lookup or connection. BERTH_OFFLINE=1 = loopback only.
import assert from 'node:assert/strict';
import dns from 'node:dns';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { EngineError } from '../src/errors.js';
import { openImageStores } from '../src/images/open.js';
import { buildBusyboxImage } from '../src/starter/busybox.js';
import { RegistryPolicy, isLoopbackHost } from '../src/registry/allow-list.js';
import { endpointsFor } from '../src/registry/transport.js';
import { pull } from '../src/registry/pull.js';
import { push } from '../src/registry/push.js';
import { tmpRoot } from './layers-helpers.js';
import { registryAvailable, startRegistry, type RegistryServer } from './support/registry-server.js';

/** Counts every TCP connect and DNS lookup made while `fn` runs. */
async function spyNetwork<T>(fn: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; connects: string[]; lookups: string[] }> {
  const connects: string[] = [];
  const lookups: string[] = [];
  const origConnect = net.Socket.prototype.connect;
  const origLookup = dns.lookup;
  const origPLookup = dns.promises.lookup;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    connects.push(JSON.stringify(args[0]));
    return (origConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof origConnect;
  (dns as { lookup: unknown }).lookup = (...args: unknown[]) => {
    lookups.push(String(args[0]));
    return (origLookup as (...a: unknown[]) => unknown)(...args);
  };
  (dns.promises as { lookup: unknown }).lookup = (...args: unknown[]) => {
    lookups.push(String(args[0]));
    return (origPLookup as (...a: unknown[]) => unknown)(...args);
  };
  try {
    const [result] = await Promise.allSettled([fn()]);
    return { result: result!, connects, lookups };
  } finally {
    net.Socket.prototype.connect = origConnect;
    (dns as { lookup: unknown }).lookup = origLookup;
    (dns.promises as { lookup: unknown }).lookup = origPLookup;
  }
}

describe('offline mode', () => {
  let saved: string | undefined;
  before(() => {
    saved = process.env['BERTH_OFFLINE'];
    process.env['BERTH_OFFLINE'] = '1';
  });
  after(() => {
    if (saved === undefined) delete process.env['BERTH_OFFLINE'];
    else process.env['BERTH_OFFLINE'] = saved;
  });

  test('pulling busybox (docker.io) rejects at once with 403 "not allowed", opening no socket and resolving no name', async (t) => {
    const stores = await openImageStores(await tmpRoot(t));
    const t0 = process.hrtime.bigint();
    const { result, connects, lookups } = await spyNetwork(() => pull(stores, 'busybox'));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(result.status, 'rejected');
    const err = (result as PromiseRejectedResult).reason as EngineError;
    assert.ok(err instanceof EngineError);
    assert.equal(err.statusCode, 403);
    assert.equal(err.message, 'registry docker.io is not allowed (offline mode)');
    assert.deepEqual(err.json, { message: 'registry docker.io is not allowed (offline mode)' });
    assert.deepEqual(connects, []);
    assert.deepEqual(lookups, []);
    assert.ok(ms < 200, `took ${ms} ms`);
  });

  test('every non-loopback registry is refused the same way (pull and push, names and IPs)', async (t) => {
    const stores = await openImageStores(await tmpRoot(t));
    await buildBusyboxImage(stores);
    await stores.images.tag('busybox:latest', 'quay.io/someone/busybox:1');
    const { result, connects, lookups } = await spyNetwork(async () => {
      for (const r of ['nosuchimage', 'quay.io/a/b:1', '10.0.0.1:5000/x', 'example.com/x@sha256:' + 'a'.repeat(64)]) {
        await assert.rejects(pull(stores, r), (e: EngineError) => e.statusCode === 403 && /is not allowed \(offline mode\)/.test(e.message));
      }
      await assert.rejects(push(stores, 'quay.io/someone/busybox:1'), (e: EngineError) => e.statusCode === 403 && e.message === 'registry quay.io is not allowed (offline mode)');
    });
    assert.equal(result.status, 'fulfilled', String((result as PromiseRejectedResult).reason));
    assert.deepEqual(connects, []);
    assert.deepEqual(lookups, []);
  });
});

test('RegistryPolicy: env, allow-list, insecure, loopback', () => {
  const p = RegistryPolicy.fromEnv({}, { BERTH_REGISTRY_ALLOW: 'registry.example.com, *.corp.example:5000', BERTH_INSECURE_REGISTRIES: 'registry.example.com', BERTH_REGISTRY_MIRRORS: 'http://127.0.0.1:5001' });
  assert.equal(p.offline, false);
  assert.ok(p.allows('registry.example.com'));
  assert.ok(p.allows('registry.example.com:443'));
  assert.ok(p.allows('a.corp.example:5000'));
  assert.ok(!p.allows('a.corp.example:5001'));
  assert.ok(!p.allows('docker.io'));
  assert.throws(() => p.check('docker.io'), (e: EngineError) => e.statusCode === 403 && e.message === 'registry docker.io is not allowed (not in the registry allow-list)');
  assert.ok(p.isInsecure('registry.example.com'));
  assert.ok(p.isInsecure('127.0.0.1:5000'));
  assert.ok(!p.isInsecure('other.example.com'));
  assert.ok(isLoopbackHost('localhost:5000') && isLoopbackHost('[::1]:5000') && isLoopbackHost('127.1.2.3'));
  assert.ok(!isLoopbackHost('127.0.0.1.nip.io') && !isLoopbackHost('localhost.example.com'));
  const off = RegistryPolicy.fromEnv({ allow: ['*'] }, { BERTH_OFFLINE: '1' });
  assert.ok(off.allows('127.0.0.1:5000') && !off.allows('quay.io'));
  // docker.io means registry-1.docker.io over HTTPS; loopback gets plain HTTP first; others HTTPS only.
  const open = new RegistryPolicy();
  assert.deepEqual(endpointsFor('docker.io', open, { pull: true }).map((e) => e.base.href), ['https://registry-1.docker.io/']);
  assert.deepEqual(endpointsFor('127.0.0.1:5000', open, { pull: true }).map((e) => e.base.href), ['http://127.0.0.1:5000/', 'https://127.0.0.1:5000/']);
  assert.deepEqual(endpointsFor('quay.io', open, { pull: true }).map((e) => e.base.href), ['https://quay.io/']);
  // A plain-HTTP mirror that is not loopback or insecure-listed is ignored.
  const m = new RegistryPolicy({ mirrors: ['http://mirror.example.com', 'https://mirror2.example.com'] });
  assert.deepEqual(endpointsFor('docker.io', m, { pull: true }).map((e) => e.base.href), ['https://mirror2.example.com/', 'https://registry-1.docker.io/']);
  assert.deepEqual(endpointsFor('docker.io', m, { pull: false }).map((e) => e.base.href), ['https://registry-1.docker.io/']);
});

describe('offline with a loopback mirror of docker.io', () => {
  let reg: RegistryServer;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });
  test('`busybox` is pulled from the mirror; docker.io itself is never contacted', async (t) => {
    const src = await openImageStores(await tmpRoot(t));
    const bb = await buildBusyboxImage(src);
    const policy = new RegistryPolicy({ offline: true, mirrors: [`http://${reg.host}`] });
    await src.images.tag(bb.id, `${reg.host}/library/busybox:latest`);
    await push(src, `${reg.host}/library/busybox:latest`, { policy });
    const dst = await openImageStores(await tmpRoot(t));
    const { result, lookups, connects } = await spyNetwork(() => pull(dst, 'busybox', { policy }));
    assert.equal(result.status, 'fulfilled', String((result as PromiseRejectedResult).reason));
    assert.ok(connects.every((c) => c.includes('127.0.0.1')), connects.join());
    // The spy itself works: a fresh connection is seen.
    const sanity = await spyNetwork(() => new Promise<void>((res, rej) => {
      const sock = net.connect(reg.port, '127.0.0.1', () => (sock.destroy(), res()));
      sock.on('error', rej);
    }));
    assert.equal(sanity.connects.length, 1);
    assert.deepEqual(lookups.filter((h) => h !== '127.0.0.1'), []);
    assert.deepEqual((await dst.images.inspect('busybox')).RepoTags, ['busybox:latest']);
    assert.equal((await dst.images.get('busybox')).id, bb.id);
  });
});
