// Pure parts of the Engine API: versions, filters, registry auth, the mux framing, route matching,
// error mapping, and the environment settings.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError, noSuchContainer, notModified } from '@berth/runtime/errors';
import { loadEngineApiConfig } from '../../../server/engine-api/config.ts';
import { toWireError } from '../../../server/engine-api/errors.ts';
import { parseFilters } from '../../../server/engine-api/filters.ts';
import { FrameParser } from '../../../server/engine-api/frames.ts';
import { decodeRegistryAuth, encodeRegistryAuth } from '../../../server/engine-api/registry-auth.ts';
import { matchRoute } from '../../../server/engine-api/router.ts';
import { buildOptions } from '../../../server/engine-api/routes/build.ts';
import { pullReference } from '../../../server/engine-api/routes/images.ts';
import { demuxBuffer, muxFrame } from '../../../server/engine-api/streams.ts';
import { checkVersion, compareVersions, splitVersion } from '../../../server/engine-api/versions.ts';
import { Query } from '../../../server/engine-api/http.ts';
import type { Ctx } from '../../../server/engine-api/context.ts';

describe('versions', () => {
  it('splits the /v1.xx/ prefix and serves unprefixed paths at 1.41', () => {
    assert.deepEqual(splitVersion('/v1.41/containers/json'), { version: '1.41', path: '/containers/json', explicit: true });
    assert.deepEqual(splitVersion('/containers/json'), { version: '1.41', path: '/containers/json', explicit: false });
    assert.equal(compareVersions('1.9', '1.24'), -1);
    assert.equal(compareVersions('1.41', '1.41'), 0);
  });
  it('refuses too old and too new versions with dockerd wording', () => {
    assert.throws(() => checkVersion('1.12'), /^ApiError: client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
    assert.throws(() => checkVersion('1.51'), /client version 1\.51 is too new\. Maximum supported API version is 1\.41/);
    checkVersion('1.24');
    checkVersion('1.41');
  });
});

describe('filters', () => {
  it('normalises the map and list forms', () => {
    assert.deepEqual(parseFilters('{"label":{"a=b":true,"c":false},"status":["running"]}'), { label: ['a=b'], status: ['running'] });
    assert.equal(parseFilters(undefined), undefined);
    assert.throws(() => parseFilters('{bad'), (e: Error & { statusCode?: number }) => e.statusCode === 400 && /invalid filter/.test(e.message));
    assert.throws(() => parseFilters('{"a":1}'), /invalid filter/);
  });
});

describe('X-Registry-Auth', () => {
  it('decodes base64url JSON and ignores what does not decode', () => {
    const h = encodeRegistryAuth({ username: 'u', password: 'p?>', serveraddress: '127.0.0.1:5000' });
    assert.deepEqual(decodeRegistryAuth(h), { username: 'u', password: 'p?>', serveraddress: '127.0.0.1:5000' });
    assert.deepEqual(decodeRegistryAuth(Buffer.from('{"username":"a","password":"b"}').toString('base64')), { username: 'a', password: 'b' });
    assert.equal(decodeRegistryAuth('e30='), undefined); // {}
    assert.equal(decodeRegistryAuth('%%%'), undefined);
    assert.equal(decodeRegistryAuth(undefined), undefined);
  });
});

describe('framing', () => {
  it('frames and parses across arbitrary chunk boundaries', () => {
    const bytes = Buffer.concat([muxFrame(1, Buffer.from('out')), muxFrame(2, Buffer.from('err!')), muxFrame(1, Buffer.alloc(0))]);
    assert.deepEqual([...bytes.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 3]);
    const p = new FrameParser();
    const frames = [];
    for (let i = 0; i < bytes.length; i += 3) frames.push(...p.push(bytes.subarray(i, i + 3)));
    assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [[1, 'out'], [2, 'err!'], [1, '']]);
    const d = demuxBuffer(bytes);
    assert.equal(d.stdout.toString(), 'out');
    assert.equal(d.stderr.toString(), 'err!');
  });
});

describe('routes', () => {
  it('matches image names with slashes and registry ports', () => {
    const m = matchRoute('GET', '/images/localhost:5000/team/app:1/json');
    assert.equal(m?.params['name'], 'localhost:5000/team/app:1');
    assert.equal(matchRoute('DELETE', '/images/a/b:c')?.params['name'], 'a/b:c');
    assert.equal(matchRoute('GET', '/images/json')?.route.action, undefined);
    assert.equal(matchRoute('POST', '/containers/abc/start')?.route.action, 'containers.start');
    assert.equal(matchRoute('POST', '/containers/abc/attach')?.route.hijack, true);
    assert.equal(matchRoute('GET', '/nope'), null);
  });
  it('turns fromImage + tag into one reference', () => {
    assert.equal(pullReference('busybox', 'latest'), 'busybox:latest');
    assert.equal(pullReference('busybox', undefined), 'busybox');
    assert.equal(pullReference('busybox', 'sha256:' + 'a'.repeat(64)), `busybox@sha256:${'a'.repeat(64)}`);
  });
  it('reads /build query options', () => {
    const q = new Query(new URLSearchParams('t=a:1&t=b&dockerfile=D&buildargs={"X":"1","Y":null}&nocache=1&rm=0&labels={"l":"v"}&target=s'));
    const o = buildOptions({ query: q } as Ctx);
    assert.deepEqual(o, { t: ['a:1', 'b'], dockerfile: 'D', buildargs: { X: '1' }, labels: { l: 'v' }, nocache: true, rm: false, target: 's' });
    assert.throws(() => buildOptions({ query: new Query(new URLSearchParams('version=2')) } as Ctx), /BuildKit/);
  });
});

describe('errors', () => {
  it("maps EngineError, docker-modem-shaped errors and the rest onto Docker's status and message", () => {
    assert.deepEqual(toWireError(noSuchContainer('x')), { status: 404, message: 'No such container: x' });
    assert.equal(toWireError(notModified()).status, 304);
    assert.deepEqual(toWireError({ statusCode: 409, json: { message: 'conflict!' }, message: '(HTTP code 409)' }), { status: 409, message: 'conflict!' });
    assert.deepEqual(toWireError(new Error('boom', { cause: new Error('why') })), { status: 500, message: 'boom: why' });
    assert.equal(toWireError(new EngineError(501, 'later')).status, 501);
  });
});

describe('settings', () => {
  it('defaults to $BERTH_RUN/berth.sock, can be switched off, and needs mutual TLS for TCP', () => {
    assert.deepEqual(loadEngineApiConfig({ BERTH_RUN: '/r' }), { enabled: true, socketPath: '/r/berth.sock', tcp: null });
    assert.equal(loadEngineApiConfig({ BERTH_ENGINE_API: '0' }).enabled, false);
    assert.throws(() => loadEngineApiConfig({ BERTH_ENGINE_TCP: '127.0.0.1:2376' }), /mutual TLS/);
    const c = loadEngineApiConfig({ BERTH_ENGINE_TCP: '127.0.0.1:2376', BERTH_ENGINE_TLS_CA: 'ca', BERTH_ENGINE_TLS_CERT: 'c', BERTH_ENGINE_TLS_KEY: 'k' });
    assert.deepEqual(c.tcp, { host: '127.0.0.1', port: 2376, tls: { ca: 'ca', cert: 'c', key: 'k' } });
  });
});
