// Issue 16 (5, 7): `rmi` removes the chain of untagged parents nothing else uses, as dockerd does (for
// the docker CLI and for the dashboard's Remove, which calls the same engine method); `POST /auth`
// checks a login against a local docker-registry (Basic with htpasswd, and the v2 token flow).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registryAvailable, startRegistry, type RegistryServer } from '../../../native-runtime/test/support/registry-server.ts';
import { startTokenServer, type TokenServer } from '../../../native-runtime/test/support/token-server.ts';
import { startApiEnv, type ApiEnv } from './test-env.ts';

// bcrypt (cost 4) of "secret", as `htpasswd -B` writes it.
const HTPASSWD = 'alice:$2b$04$h.xG6mNmVG4.tsAfpGKjfeW9SC8N/Mn1XIo0TjXVF2WnjkkUZFv6m\n';

function postJson(socketPath: string, p: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'POST', path: p, headers: { 'Content-Type': 'application/json', 'Content-Length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('rmi of untagged parents and POST /auth (issue 16)', () => {
  let e: ApiEnv;
  let dir: string;
  const ok = async (args: string[], input?: string) => {
    const r = await e.docker(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const allIds = async () => new Set((await ok(['images', '-a', '-q', '--no-trunc'])).split('\n').filter(Boolean));
  const build = async (tag: string, steps: string[]) => {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), ['FROM busybox', ...steps].join('\n') + '\n');
    return (await ok(['build', '-q', '-t', tag, dir])).trim();
  };

  before(async () => {
    e = await startApiEnv('rmi-auth');
    dir = fs.mkdtempSync(path.join(e.root, 'ctx-'));
  });
  after(async () => {
    await e?.cleanup();
  });

  it('rmi -f of a 3-RUN build removes the untagged intermediates and lists each (as dockerd 20.10)', async () => {
    const before = await allIds();
    const top = await build('three', ['RUN echo 1 > /1', 'RUN echo 2 > /2', 'RUN echo 3 > /3']);
    assert.equal((await allIds()).size, before.size + 3);
    const out = await ok(['rmi', '-f', 'three']);
    const lines = out.trim().split('\n');
    // dockerd: Untagged, then each image (child first) followed by the layers it freed: 3 images, 3 layers.
    assert.equal(lines[0], 'Untagged: three:latest');
    assert.equal(lines[1], `Deleted: ${top}`);
    assert.equal(lines.filter((l) => l.startsWith('Deleted: ')).length, 6, out);
    assert.deepEqual(await allIds(), before);
  });

  it('stops at a parent that is tagged, used by a container, or has another child; --no-prune keeps them all', async () => {
    const before = await allIds();
    await build('chain', ['RUN echo 1 > /1', 'RUN echo 2 > /2', 'RUN echo 3 > /3']);
    const parents = (await ok(['history', '-q', '--no-trunc', 'chain'])).split('\n').filter((x) => x.startsWith('sha256:'));
    // history: chain, its parent p2, p1, then busybox.
    const [, p2, p1] = parents;
    await ok(['tag', p1!, 'keep:p1']);
    await ok(['rmi', 'chain']);
    const left = await allIds();
    assert.ok(!left.has(p2!) && left.has(p1!), 'p2 goes, the tagged p1 stays');
    await ok(['rmi', 'keep:p1']);
    assert.deepEqual(await allIds(), before);

    // A container on an intermediate image keeps it (and what is below it).
    await build('chain2', ['RUN echo a > /a', 'RUN echo b > /b']);
    const [, q1] = (await ok(['history', '-q', '--no-trunc', 'chain2'])).split('\n').filter((x) => x.startsWith('sha256:'));
    await ok(['create', '--name', 'onq1', q1!, 'true']);
    await ok(['rmi', 'chain2']);
    assert.ok((await allIds()).has(q1!));
    await ok(['rm', 'onq1']);
    await ok(['rmi', q1!]);
    assert.deepEqual(await allIds(), before);

    // --no-prune: only the named image goes.
    const top = await build('np', ['RUN echo x > /x', 'RUN echo y > /y']);
    await ok(['rmi', '--no-prune', 'np']);
    const ids = await allIds();
    assert.ok(!ids.has(top));
    assert.equal(ids.size, before.size + 1);
  });

  it("the dashboard's Remove (Engine.getImage().remove) prunes the same chain", async () => {
    const before = await allIds();
    await build('dash', ['RUN echo 1 > /1', 'RUN echo 2 > /2', 'RUN echo 3 > /3']);
    const items = await e.berth.getImage('dash').remove({ force: true });
    assert.equal(items.filter((i) => 'Deleted' in i && i.Deleted?.startsWith('sha256:')).length >= 3, true);
    const after = await allIds();
    for (const id of after) assert.ok(before.has(id) || !id, `left behind: ${id}`);
    assert.equal(after.size, before.size);
  });

  it('POST /auth against a registry with htpasswd (Basic) auth', { skip: !registryAvailable() }, async () => {
    const reg: RegistryServer = await startRegistry({ htpasswd: HTPASSWD });
    try {
      const good = await postJson(e.socket, '/v1.41/auth', { username: 'alice', password: 'secret', serveraddress: reg.host });
      assert.equal(good.status, 200);
      assert.deepEqual(good.json, { IdentityToken: '', Status: 'Login Succeeded' });
      const url = await postJson(e.socket, '/v1.41/auth', { username: 'alice', password: 'secret', serveraddress: `http://${reg.host}/v2/` });
      assert.equal(url.json['Status'], 'Login Succeeded');
      const bad = await postJson(e.socket, '/v1.41/auth', { username: 'alice', password: 'wrong', serveraddress: reg.host });
      assert.equal(bad.status, 401);
      // dockerd's message; dockerd 20.10 sends it with status 500.
      assert.equal(bad.json['message'], `login attempt to http://${reg.host}/v2/ failed with status: 401 Unauthorized`);

      const cli = await ok(['login', '-u', 'alice', '--password-stdin', reg.host], 'secret\n');
      assert.match(cli, /Login Succeeded/);
      const wrong = await e.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'nope\n' });
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr, /401 Unauthorized/);
    } finally {
      await reg.stop();
    }
  });

  it('POST /auth with the v2 token flow: IdentityToken from the token service, 401 for a wrong password', { skip: !registryAvailable() }, async () => {
    const tok: TokenServer = await startTokenServer({ users: { alice: 'wonderland' } });
    const reg = await startRegistry({ token: { realm: tok.realm, service: tok.service, issuer: tok.issuer, rootcertbundle: tok.certPath } });
    try {
      const good = await postJson(e.socket, '/v1.41/auth', { username: 'alice', password: 'wonderland', serveraddress: reg.host });
      assert.equal(good.status, 200);
      assert.deepEqual(good.json, { IdentityToken: 'refresh-alice', Status: 'Login Succeeded' });
      const bad = await postJson(e.socket, '/v1.41/auth', { username: 'alice', password: 'wrong', serveraddress: reg.host });
      assert.equal(bad.status, 401);
      assert.match(String(bad.json['message']), /incorrect username or password/);
      // Anonymous: the token service hands out a token without access, which /v2/ accepts; dockerd says
      // "Login Succeeded" too.
      const anon = await postJson(e.socket, '/v1.41/auth', { serveraddress: reg.host });
      assert.deepEqual(anon.json, { IdentityToken: '', Status: 'Login Succeeded' });
    } finally {
      await reg.stop();
      await tok.stop();
    }
  });

  it('POST /auth: bad addresses, unreachable and disallowed registries answer without a login', async () => {
    const badAddr = await postJson(e.socket, '/v1.41/auth', { username: 'a', password: 'b', serveraddress: 'http://[not a host' });
    assert.equal(badAddr.status, 400);
    const closed = await postJson(e.socket, '/v1.41/auth', { username: 'a', password: 'b', serveraddress: '127.0.0.1:1' });
    assert.equal(closed.status, 502);
    // The test Berth is offline: Docker Hub is refused before any connection.
    const hub = await postJson(e.socket, '/v1.41/auth', { username: 'a', password: 'b' });
    assert.equal(hub.status, 403);
  });
});
