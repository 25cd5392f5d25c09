// Debian's docker-compose (1.29) against Berth's Engine API socket, and Berth's stacks beside it: a
// project the CLI made is a stack in `stacks.list`, and a stack deployed through `stacks.deploy` is
// listed by `docker-compose ps` in its folder. The multi-service project has a build, a healthcheck
// and depends_on service_healthy.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../../server/auth/password.ts';
import { createSession, SESSION_COOKIE } from '../../../server/auth/sessions.ts';
import { EngineHub } from '../../../server/engine/hub.ts';
import { appRouter } from '../../../server/api/root.ts';
import { createCallerFactory, createContext } from '../../../server/api/trpc.ts';
import type { DeployEvent } from '../../../server/api/routers/stacks/router.ts';
import { runCommand, startApiEnv, type ApiEnv } from './test-env.ts';

const createCaller = createCallerFactory(appRouter);

const PROJECT = `
services:
  db:
    image: busybox
    command: sh -c "mkdir -p /www; echo db-page > /www/index.html; sleep 1; touch /tmp/ready; exec httpd -f -v -p 80 -h /www"
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 1s
      retries: 30
    stop_grace_period: 1s
    volumes: [data:/data]
  web:
    build: ./web
    depends_on:
      db:
        condition: service_healthy
    stop_grace_period: 1s
volumes:
  data: {}
`;
const DOCKERFILE = 'FROM busybox\nRUN mkdir /www && echo built > /www/index.html\nCMD ["sh", "-c", "echo web-started; exec httpd -f -p 80 -h /www"]\n';

describe('docker-compose against Berth, and Berth stacks', () => {
  let e: ApiEnv;
  let dir: string;
  let caller: ReturnType<typeof createCaller>;
  let opCtx: Awaited<ReturnType<typeof createContext>>;
  const env = () => ({ PATH: process.env['PATH'], HOME: e.dockerConfig, DOCKER_HOST: `unix://${e.socket}`, DOCKER_CONFIG: e.dockerConfig, COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_BUILDKIT: '0' });
  const compose = async (cwd: string, args: string[], timeoutMs = 120_000) => {
    const r = await runCommand('sh', ['-c', `cd "${cwd}" && exec docker-compose --no-ansi "$@"`, 'sh', ...args], env(), { timeoutMs });
    assert.equal(r.code, 0, `docker-compose ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    e = await startApiEnv('compose');
    e.services.engines = new EngineHub({ isRoot: true, createEmbedded: () => e.berth });
    await e.services.db.user.create({ data: { id: 'op', username: 'op', role: 'operator', passwordHash: await hashPassword('long enough password') } });
    const op = await createSession(e.services.db, 'op', {});
    const req = { headers: { cookie: `${SESSION_COOKIE}=${op.token}`, host: '127.0.0.1' }, socket: { remoteAddress: '127.0.0.1' } } as unknown as http.IncomingMessage;
    opCtx = await createContext(e.services, req, null);
    caller = createCaller(opCtx);
    dir = path.join(e.root, 'cliproj');
    fs.mkdirSync(path.join(dir, 'web'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), PROJECT);
    fs.writeFileSync(path.join(dir, 'web', 'Dockerfile'), DOCKERFILE);
  });
  after(async () => {
    await e?.cleanup();
  });

  it('up -d, ps, logs, exec; the project is a stack in stacks.list', async () => {
    const up = await compose(dir, ['up', '-d']);
    assert.match(up.stderr, /Creating cliproj_web_1 \.\.\. done|Creating cliproj_web_1/);
    const ps = await compose(dir, ['ps']);
    assert.match(ps.stdout, /cliproj_db_1\s+.*Up \(healthy\)/);
    assert.match(ps.stdout, /cliproj_web_1\s+.*Up/);
    const logs = await compose(dir, ['logs', '--no-color', 'web']);
    assert.match(logs.stdout, /web_1\s+\| web-started/);
    const ex = await compose(dir, ['exec', '-T', 'web', 'cat', '/www/index.html']);
    assert.equal(ex.stdout, 'built\n');
    const list = await caller.stacks.list();
    const s = list.find((x) => x.name === 'cliproj');
    assert.ok(s, JSON.stringify(list));
    assert.equal(s.origin, 'cli');
    assert.deepEqual(s.services, ['db', 'web']);
    assert.deepEqual(s.containers, { total: 2, running: 2 });
    assert.equal(s.health.healthy, 1);
    assert.equal(s.workingDir, dir);
    const detail = await caller.stacks.get({ name: 'cliproj' });
    assert.deepEqual(detail.serviceDetails.map((x) => [x.name, x.containers.map((c) => c.number)]), [['db', [1]], ['web', [1]]]);
  });

  it('up -d --scale web=3, then down -v', async () => {
    await compose(dir, ['up', '-d', '--scale', 'web=3']);
    const ps = await compose(dir, ['ps', '-q', 'web']);
    assert.equal(ps.stdout.trim().split('\n').length, 3);
    assert.equal((await caller.stacks.get({ name: 'cliproj' })).containers.total, 4);
    await compose(dir, ['down', '-v']);
    assert.equal((await caller.stacks.list()).some((x) => x.name === 'cliproj'), false);
    assert.equal(((await e.berth.listVolumes()).Volumes ?? []).some((v) => v.Name === 'cliproj_data'), false);
    assert.equal((await e.berth.listNetworks()).some((n) => n.Name === 'cliproj_default'), false);
  });

  it('devices: docker-compose up makes the node (as dockerd); an operator\'s stack with devices is refused (issue #16)', async () => {
    const devDir = path.join(e.root, 'devproj');
    fs.mkdirSync(devDir, { recursive: true });
    const devProject = 'services:\n  dev:\n    image: busybox\n    command: sleep 3600\n    stop_grace_period: 1s\n    devices: ["/dev/null:/dev/berthnull"]\n';
    fs.writeFileSync(path.join(devDir, 'docker-compose.yml'), devProject);
    await compose(devDir, ['up', '-d']);
    const ex = await compose(devDir, ['exec', '-T', 'dev', 'sh', '-c', "stat -c '%F %t:%T' /dev/berthnull && echo x > /dev/berthnull && echo written"]);
    assert.equal(ex.stdout, 'character special file 1:3\nwritten\n');
    await compose(devDir, ['down']);
    // The dashboard's rule for --device holds for stacks: an operator may not deploy one.
    const events: DeployEvent[] = [];
    const sub = await createCaller(opCtx).stacks.deploy({ name: 'opdevs', files: [{ name: 'compose.yaml', content: devProject }], env: '', assets: [], profiles: [], removeOrphans: false, note: '' });
    for await (const ev of sub) events.push(ev);
    const last = events.at(-1)!;
    assert.ok(last.type === 'failed' && /host devices and privileged services need the admin role: service "dev": device \/dev\/null:\/dev\/berthnull:rwm/.test(last.message), JSON.stringify(last));
    assert.equal((await caller.stacks.list()).some((x) => x.name === 'opdevs'), false);
  });

  it('a stack deployed through stacks.deploy is listed by docker-compose ps in its folder', async () => {
    const ac = new AbortController();
    const events: DeployEvent[] = [];
    const sub = await createCaller(opCtx, { signal: ac.signal }).stacks.deploy({
      name: 'berthproj',
      files: [{ name: 'docker-compose.yml', content: PROJECT }],
      env: '',
      assets: [{ path: 'web/Dockerfile', content: Buffer.from(DOCKERFILE).toString('base64') }],
      profiles: [],
      removeOrphans: false,
      note: '',
    });
    for await (const ev of sub) events.push(ev);
    const last = events.at(-1)!;
    assert.equal(last.type, 'finished', JSON.stringify(events.filter((x) => x.type !== 'build' && x.type !== 'pull')));
    const folder = path.join(e.services.config.root, 'stacks', 'berthproj');
    const ps = await compose(folder, ['ps']);
    assert.match(ps.stdout, /berthproj-db-1\s+.*Up \(healthy\)/);
    assert.match(ps.stdout, /berthproj-web-1\s+.*Up/);
    const ex = await compose(folder, ['exec', '-T', 'db', 'cat', '/www/index.html']);
    assert.equal(ex.stdout, 'db-page\n');
    const versions = await caller.stacks.versions({ name: 'berthproj' });
    assert.deepEqual(versions.map((v) => [v.version, v.result]), [[1, 'deployed']]);
    await caller.stacks.down({ name: 'berthproj', volumes: true });
    assert.equal((await caller.stacks.get({ name: 'berthproj' })).containers.total, 0);
  });
});
