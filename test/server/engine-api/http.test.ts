// The wire itself: headers and bodies against the dockerd fixtures, versions, unsupported paths, the
// socket's mode, the hijack handshake and half-close, non-upgraded exec start, archive stat headers,
// wait's early headers, and TCP with mutual TLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOCKER_API_FIXTURES } from '../../../native-runtime/test/support/fixtures.ts';
import { startEngineApi } from '../../../server/engine-api/server.ts';
import { demuxBuffer } from '../../../server/engine-api/streams.ts';
import { startApiEnv, type ApiEnv } from './test-env.ts';

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(socketPath: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({ socketPath, method, path: p, headers: { ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Raw HTTP over the socket: the hijack handshake as the docker CLI sends it. */
function hijack(socketPath: string, p: string, body: string): Promise<{ sock: net.Socket; head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let buf = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('connect', () => {
      sock.write(`POST ${p} HTTP/1.1\r\nHost: api\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      sock.off('data', onData);
      sock.pause();
      resolve({ sock, head: buf.subarray(0, i).toString(), rest: buf.subarray(i + 4) });
    };
    sock.on('data', onData);
  });
}

function readAll(sock: net.Socket, first: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks = [first];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks)));
    sock.resume();
  });
}

function fixtureHeaders(name: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(DOCKER_API_FIXTURES, name), 'utf8').split('\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  return m;
}

describe('Engine API on the wire', () => {
  let e: ApiEnv;
  before(async () => {
    e = await startApiEnv('http');
  });
  after(async () => {
    await e?.cleanup();
  });

  it('the socket is 0660 and owned by root', () => {
    const st = fs.statSync(e.socket);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    assert.equal(st.gid, 0);
  });

  it('_ping (GET and HEAD) sends the headers dockerd sends, plus Builder-Version: 1', async () => {
    const want = fixtureHeaders('api_ping.headers.txt');
    for (const method of ['GET', 'HEAD']) {
      const r = await request(e.socket, method, '/_ping');
      assert.equal(r.status, 200);
      for (const h of ['api-version', 'docker-experimental', 'ostype', 'cache-control', 'pragma', 'content-type', 'content-length']) assert.equal(r.headers[h], want.get(h), h);
      assert.equal(r.headers['builder-version'], '1');
      assert.match(String(r.headers['server']), /\(linux\)$/);
      assert.equal(r.body.toString(), method === 'GET' ? 'OK' : '');
    }
  });

  it('/version and /info have the fixtures\' fields; unprefixed and /v1.24 work, /v1.12 is refused', async () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(DOCKER_API_FIXTURES, 'api_version.json'), 'utf8')) as Record<string, unknown>;
    const v = await request(e.socket, 'GET', '/v1.41/version');
    assert.equal(v.headers['content-type'], 'application/json');
    const body = JSON.parse(v.body.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), Object.keys(fixture).sort());
    assert.equal(body['ApiVersion'], '1.41');
    assert.equal(body['MinAPIVersion'], '1.24');
    const info = JSON.parse((await request(e.socket, 'GET', '/info')).body.toString()) as Record<string, unknown>;
    const infoFixture = JSON.parse(fs.readFileSync(path.join(DOCKER_API_FIXTURES, 'api_info.json'), 'utf8')) as Record<string, unknown>;
    for (const k of ['ID', 'Containers', 'Images', 'Driver', 'MemoryLimit', 'CgroupDriver', 'KernelVersion', 'OSType', 'NCPU', 'MemTotal', 'DockerRootDir', 'Swarm']) {
      assert.ok(k in info, k);
      assert.equal(typeof info[k], typeof infoFixture[k], k);
    }
    assert.equal((await request(e.socket, 'GET', '/v1.24/containers/json')).status, 200);
    const old = await request(e.socket, 'GET', '/v1.12/version');
    assert.equal(old.status, 400);
    assert.deepEqual(JSON.parse(old.body.toString()), { message: 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version' });
  });

  it('errors are {"message"} JSON with Docker\'s codes; unknown paths 404; unsupported features 501', async () => {
    const missing = await request(e.socket, 'GET', '/v1.41/containers/doesnotexist/json');
    const fixtureMissing = fs.readFileSync(path.join(DOCKER_API_FIXTURES, 'api_containers_nonexistent_json.json'), 'utf8');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(missing.body.toString()), JSON.parse(fixtureMissing));
    const img = await request(e.socket, 'GET', '/images/doesnotexist/history');
    assert.deepEqual(JSON.parse(img.body.toString()), JSON.parse(fs.readFileSync(path.join(DOCKER_API_FIXTURES, 'api_images_nonexistent_history.json'), 'utf8')));
    assert.equal((await request(e.socket, 'GET', '/nonsense')).status, 404);
    // /distribution is served (issue 23): offline, docker.io is refused by the allow-list, as a pull is.
    assert.equal((await request(e.socket, 'GET', '/v1.41/distribution/busybox/json')).status, 403);
    for (const p of ['/swarm', '/services', '/plugins/privileges?remote=vieux/sshfs', '/session', '/grpc', '/secrets']) {
      const r = await request(e.socket, p === '/session' || p === '/grpc' ? 'POST' : 'GET', `/v1.41${p}`);
      assert.equal(r.status, 501, p);
      assert.ok((JSON.parse(r.body.toString()) as { message: string }).message.length > 10);
    }
    const bad = await request(e.socket, 'POST', '/containers/create', { Image: 'busybox', Cmd: 5 });
    assert.equal(bad.status, 400);
    const started = await request(e.socket, 'POST', '/containers/create?name=pinged', { Image: 'busybox', Cmd: ['sleep', '30'] });
    assert.equal(started.status, 201);
    assert.equal((await request(e.socket, 'POST', '/containers/pinged/start')).status, 204);
    const again = await request(e.socket, 'POST', '/containers/pinged/start');
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal((await request(e.socket, 'DELETE', '/containers/pinged?force=1')).status, 204);
  });

  // dockerode's "should list plugins" passes on dockerd 20.10 and got a 501 here. Expected answers were
  // taken from dockerd 20.10 in its own netns (bench/engine-api.ts startDockerd) with no plugin installed.
  it('plugins: an empty list with dockerd\'s filter checks, "not found" for a named plugin', async () => {
    const json = (r: { body: Buffer }): unknown => JSON.parse(r.body.toString());
    const list = await request(e.socket, 'GET', '/v1.41/plugins');
    assert.equal(list.status, 200);
    assert.deepEqual(json(list), []);
    const q = (f: unknown): string => `/v1.41/plugins?filters=${encodeURIComponent(JSON.stringify(f))}`;
    assert.deepEqual(json(await request(e.socket, 'GET', q({ capability: ['volumedriver'], enabled: ['true'] }))), []);
    const bogus = await request(e.socket, 'GET', q({ bogus: ['true'] }));
    assert.equal(bogus.status, 400);
    assert.deepEqual(json(bogus), { message: "Invalid filter 'bogus'" });
    const enabled = await request(e.socket, 'GET', q({ enabled: ['xyz'] }));
    assert.equal(enabled.status, 400);
    assert.deepEqual(json(enabled), { message: "Invalid filter 'enabled=[xyz]'" });
    const calls: [string, string, string][] = [
      ['GET', '/v1.41/plugins/vieux/sshfs:latest/json', 'vieux/sshfs:latest'],
      ['DELETE', '/v1.41/plugins/foo', 'foo'],
      ['POST', '/v1.41/plugins/foo/disable', 'foo'],
      ['POST', '/v1.41/plugins/foo/push', 'foo'],
      ['POST', '/v1.41/plugins/foo/upgrade?remote=foo', 'foo:latest'],
    ];
    for (const [method, p, name] of calls) {
      const r = await request(e.socket, method, p);
      assert.equal(r.status, 404, p);
      assert.deepEqual(json(r), { message: `plugin "${name}" not found` });
    }
  });

  it('hijacked attach: 101 UPGRADED, multiplexed stream, stdin half-close ends cat', async () => {
    const created = await request(e.socket, 'POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['cat'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const { Id } = JSON.parse(created.body.toString()) as { Id: string };
    const h = await hijack(e.socket, `/v1.41/containers/${Id}/attach?stream=1&stdin=1&stdout=1&stderr=1`, '');
    assert.match(h.head, /^HTTP\/1\.1 101 UPGRADED\r\n/);
    assert.match(h.head, /Content-Type: application\/vnd\.docker\.multiplexed-stream/);
    assert.match(h.head, /Upgrade: tcp/);
    h.sock.write('hello over the hijacked socket\n'); // before the start: queued
    const all = readAll(h.sock, h.rest);
    assert.equal((await request(e.socket, 'POST', `/containers/${Id}/start`)).status, 204);
    h.sock.end(); // half-close: stdin EOF, output keeps coming
    const d = demuxBuffer(await all);
    assert.equal(d.stdout.toString(), 'hello over the hijacked socket\n');
    const w = await request(e.socket, 'POST', `/containers/${Id}/wait`);
    assert.deepEqual(JSON.parse(w.body.toString()), { StatusCode: 0, Error: null });
    await request(e.socket, 'DELETE', `/containers/${Id}`);
  });

  it('exec start: hijacked with a TTY is raw; without upgrade the output is the response body', async () => {
    const c = JSON.parse((await request(e.socket, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '60'] })).body.toString()) as { Id: string };
    await request(e.socket, 'POST', `/containers/${c.Id}/start`);
    const x1 = JSON.parse((await request(e.socket, 'POST', `/containers/${c.Id}/exec`, { Cmd: ['echo', 'tty'], Tty: true, AttachStdout: true })).body.toString()) as { Id: string };
    const h = await hijack(e.socket, `/exec/${x1.Id}/start`, JSON.stringify({ Detach: false, Tty: true }));
    assert.match(h.head, /Content-Type: application\/vnd\.docker\.raw-stream/);
    assert.equal((await readAll(h.sock, h.rest)).toString(), 'tty\r\n');
    const x2 = JSON.parse((await request(e.socket, 'POST', `/containers/${c.Id}/exec`, { Cmd: ['sh', '-c', 'echo o; echo e >&2'], AttachStdout: true, AttachStderr: true })).body.toString()) as { Id: string };
    const plain = await request(e.socket, 'POST', `/exec/${x2.Id}/start`, { Detach: false, Tty: false });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    const d = demuxBuffer(plain.body);
    assert.deepEqual([d.stdout.toString(), d.stderr.toString()], ['o\n', 'e\n']);
    const insp = JSON.parse((await request(e.socket, 'GET', `/exec/${x2.Id}/json`)).body.toString()) as { Running: boolean; ExitCode: number };
    assert.deepEqual([insp.Running, insp.ExitCode], [false, 0]);
    await request(e.socket, 'DELETE', `/containers/${c.Id}?force=1`);
  });

  it('archive HEAD and GET carry X-Docker-Container-Path-Stat; a missing path is a 404', async () => {
    const c = JSON.parse((await request(e.socket, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '60'] })).body.toString()) as { Id: string };
    await request(e.socket, 'POST', `/containers/${c.Id}/start`);
    const head = await request(e.socket, 'HEAD', `/containers/${c.Id}/archive?path=/etc/passwd`);
    assert.equal(head.status, 200);
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString()) as { name: string; mode: number };
    assert.equal(stat.name, 'passwd');
    const get = await request(e.socket, 'GET', `/containers/${c.Id}/archive?path=/etc/passwd`);
    assert.equal(get.headers['content-type'], 'application/x-tar');
    assert.ok(get.headers['x-docker-container-path-stat']);
    assert.equal(get.body.subarray(0, 6).toString(), 'passwd');
    const missing = await request(e.socket, 'HEAD', `/containers/${c.Id}/archive?path=/nope`);
    assert.equal(missing.status, 404);
    await request(e.socket, 'DELETE', `/containers/${c.Id}?force=1`);
  });

  it('wait sends its headers at once and the body at the exit', async () => {
    const c = JSON.parse((await request(e.socket, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sh', '-c', 'sleep 0.5; exit 2'] })).body.toString()) as { Id: string };
    const headersAt = await new Promise<{ ms: number; res: http.IncomingMessage }>((resolve, reject) => {
      const t0 = Date.now();
      const req = http.request({ socketPath: e.socket, method: 'POST', path: `/containers/${c.Id}/wait?condition=next-exit` }, (res) => resolve({ ms: Date.now() - t0, res }));
      req.on('error', reject);
      req.end();
    });
    assert.equal(headersAt.res.statusCode, 200);
    const bodyP = new Promise<string>((r) => {
      let t = '';
      headersAt.res.on('data', (b: Buffer) => (t += b.toString()));
      headersAt.res.on('end', () => r(t));
    });
    await request(e.socket, 'POST', `/containers/${c.Id}/start`);
    assert.deepEqual(JSON.parse(await bodyP), { StatusCode: 2, Error: null });
    assert.equal((await request(e.socket, 'POST', `/containers/${c.Id}/wait?condition=bogus`)).status, 400);
    await request(e.socket, 'DELETE', `/containers/${c.Id}`);
  });

  it('TCP needs a client certificate signed by the configured CA', async () => {
    const dir = fs.mkdtempSync(path.join(e.root, 'tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=berth-test-ca');
    for (const who of ['server', 'client']) {
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'client'}`);
      fs.writeFileSync(path.join(dir, `${who}.ext`), who === 'server' ? 'subjectAltName=IP:127.0.0.1\n' : 'extendedKeyUsage=clientAuth\n');
      ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1', '-extfile', `${who}.ext`);
    }
    const api = await startEngineApi({
      engine: () => e.berth,
      tcp: { host: '127.0.0.1', port: 0, tls: { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'), key: path.join(dir, 'server.key') } },
    });
    try {
      const port = api.tcpAddress!.port;
      const ca = fs.readFileSync(path.join(dir, 'ca.pem'));
      const get = (withCert: boolean) =>
        new Promise<number>((resolve, reject) => {
          const req = https.request(
            {
              host: '127.0.0.1',
              port,
              path: '/v1.41/_ping',
              ca,
              ...(withCert ? { cert: fs.readFileSync(path.join(dir, 'client.pem')), key: fs.readFileSync(path.join(dir, 'client.key')) } : {}),
              agent: false,
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end();
        });
      assert.equal(await get(true), 200);
      await assert.rejects(get(false));
    } finally {
      await api.close();
    }
  });
});
