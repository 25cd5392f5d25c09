// Berth and Debian's docker-compose 1.29 write the same com.docker.compose.config-hash, so neither
// recreates the other's unchanged containers: a stack Berth deployed is up-to-date for `docker-compose
// up -d` in its folder, a project the CLI made is unchanged by Berth's deploy of the same files, and a
// changed environment value is recreated by both. Real containers through Berth's Engine API socket.
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
import { configHash } from '../../../native-runtime/src/stacks/labels.ts';
import { loadProject } from '../../../native-runtime/src/stacks/load.ts';
import { runCommand, startApiEnv, type ApiEnv } from './test-env.ts';
import { freePort } from '../../../native-runtime/test/support/registry-server.ts';

const createCaller = createCallerFactory(appRouter);


/** Many of the keys Berth's stacks support, in the syntaxes people write. */
const project = (port: number, value: string) => `services:
  db:
    image: busybox
    command: sh -c "mkdir -p /www; echo db-page > /www/index.html; touch /tmp/ready; exec httpd -f -p 80 -h /www"
    environment:
      MODE: ${value}
      COUNT: 3
      FROM_DOTENV:
    env_file: ./db.env
    volumes:
      - data:/data
      - type: tmpfs
        target: /scratch
        tmpfs: {size: 1m}
    networks:
      back:
        aliases: [database, store]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 1s
      timeout: 5s
      retries: 30
    restart: unless-stopped
    labels:
      app.tier: data
    mem_limit: 64m
    pids_limit: 100
    stop_grace_period: 1s
  web:
    image: busybox
    command: ["sh", "-c", "exec httpd -f -p 80 -h /html"]
    user: "0"
    working_dir: /html
    depends_on:
      db:
        condition: service_healthy
    ports:
      - "127.0.0.1:${port}:80"
    expose: ["8080"]
    volumes:
      - ./html:/html:ro
    networks: [back, front]
    cpus: 0.5
    deploy:
      resources:
        limits: {memory: 32M}
    stop_signal: SIGTERM
    stop_grace_period: 1s
    init: true
networks:
  back: {}
  front: {}
volumes:
  data: {}
`;

describe('the config hash: docker-compose 1.29 and Berth never recreate each other\'s containers', () => {
  let e: ApiEnv;
  let caller: ReturnType<typeof createCaller>;
  let adminCtx: Awaited<ReturnType<typeof createContext>>;
  let port: number;
  const env = () => ({ PATH: process.env['PATH'], HOME: e.dockerConfig, DOCKER_HOST: `unix://${e.socket}`, DOCKER_CONFIG: e.dockerConfig, COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_BUILDKIT: '0' });
  const compose = async (cwd: string, args: string[]) => {
    const r = await runCommand('sh', ['-c', `cd "${cwd}" && exec docker-compose --no-ansi "$@"`, 'sh', ...args], env(), { timeoutMs: 180_000 });
    assert.equal(r.code, 0, `docker-compose ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const folder = (name: string) => path.join(e.services.config.root, 'stacks', name);
  const assets = [
    { path: 'db.env', content: Buffer.from('FROM_FILE=yes\nMODE=overridden-by-environment\n').toString('base64') },
    { path: 'html/index.html', content: Buffer.from('web-page\n').toString('base64') },
  ];
  const dotenv = 'FROM_DOTENV=dotenv-value\n';
  /** Container ids by name, of one project. */
  const ids = async (name: string) => Object.fromEntries((await e.berth.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${name}`] } })).map((c) => [c.Labels!['com.docker.compose.service']!, c.Id]));
  const deploy = async (name: string, content: string) => {
    const events: DeployEvent[] = [];
    const sub = await createCaller(adminCtx).stacks.deploy({ name, files: [{ name: 'docker-compose.yml', content }], env: dotenv, assets, profiles: [], removeOrphans: false, note: '' });
    for await (const ev of sub) events.push(ev);
    assert.equal(events.at(-1)!.type, 'finished', JSON.stringify(events.filter((x) => x.type !== 'pull')));
    const phases = events.flatMap((ev) => (ev.type === 'service' ? [`${ev.service}:${ev.phase}`] : []));
    return phases;
  };
  /** What docker-compose did per container: Creating / Recreating / is up-to-date. */
  const actions = (stderr: string) => [...stderr.matchAll(/^(?:(Recreating|Creating|Starting) (\S+) \.\.\. done|(\S+) is up-to-date)$/gm)].map((m) => (m[3] ? `${m[3]} up-to-date` : `${m[2]} ${m[1]}`)).sort();

  before(async () => {
    e = await startApiEnv('chash');
    e.services.engines = new EngineHub({ isRoot: true, createEmbedded: () => e.berth });
    await e.services.db.user.create({ data: { id: 'adm', username: 'adm', role: 'admin', passwordHash: await hashPassword('long enough password') } });
    const s = await createSession(e.services.db, 'adm', {});
    const req = { headers: { cookie: `${SESSION_COOKIE}=${s.token}`, host: '127.0.0.1' }, socket: { remoteAddress: '127.0.0.1' } } as unknown as http.IncomingMessage;
    adminCtx = await createContext(e.services, req, null);
    caller = createCaller(adminCtx);
    port = await freePort();
  });
  after(async () => {
    await e?.cleanup();
  });

  it('Berth deploys; docker-compose up -d in the stack folder finds every container up-to-date', async () => {
    await deploy('hashberth', project(port, 'one'));
    const before = await ids('hashberth');
    assert.deepEqual(Object.keys(before).sort(), ['db', 'web']);
    const up = await compose(folder('hashberth'), ['up', '-d']);
    assert.deepEqual(actions(up.stderr), ['hashberth-db-1 up-to-date', 'hashberth-web-1 up-to-date'], up.stderr);
    assert.deepEqual(await ids('hashberth'), before);
    const page = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    assert.equal(page, 'web-page\n');
  });

  it('a changed environment value is recreated by docker-compose, and then Berth finds it current; and the other way round', async () => {
    const before = await ids('hashberth');
    fs.writeFileSync(path.join(folder('hashberth'), 'docker-compose.yml'), project(port, 'two'));
    const up = await compose(folder('hashberth'), ['up', '-d']);
    assert.ok(actions(up.stderr).includes('hashberth-db-1 Recreating'), up.stderr);
    const afterCli = await ids('hashberth');
    assert.notEqual(afterCli['db'], before['db']);
    // Berth's deploy of those same files: nothing to do.
    const phases = await deploy('hashberth', project(port, 'two'));
    assert.ok(!phases.some((p) => /recreating|creating|removing/.test(p)), phases.join(' '));
    assert.deepEqual(await ids('hashberth'), afterCli);
    // Berth changes it back: recreated by Berth, and current for docker-compose.
    const phases3 = await deploy('hashberth', project(port, 'three'));
    assert.ok(phases3.includes('db:recreating'), phases3.join(' '));
    const afterBerth = await ids('hashberth');
    assert.notEqual(afterBerth['db'], afterCli['db']);
    const up2 = await compose(folder('hashberth'), ['up', '-d']);
    assert.ok(!actions(up2.stderr).some((a) => /Recreating|Creating/.test(a)), up2.stderr);
    assert.deepEqual(await ids('hashberth'), afterBerth);
    await caller.stacks.down({ name: 'hashberth', volumes: true });
  });

  it('docker-compose makes it; Berth deploys the same files and recreates nothing; the labels are the same value', async () => {
    const dir = folder('hashcli');
    fs.mkdirSync(path.join(dir, 'html'), { recursive: true });
    const content = project(port, 'one');
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), content);
    fs.writeFileSync(path.join(dir, '.env'), dotenv);
    for (const a of assets) fs.writeFileSync(path.join(dir, a.path), Buffer.from(a.content, 'base64'));
    const up = await compose(dir, ['up', '-d']);
    assert.deepEqual(actions(up.stderr).filter((a) => a.includes('Creating')), ['hashcli_db_1 Creating', 'hashcli_web_1 Creating'], up.stderr);
    const before = await ids('hashcli');
    const phases = await deploy('hashcli', content);
    assert.ok(!phases.some((p) => /recreating|creating|removing/.test(p)), phases.join(' '));
    assert.deepEqual(await ids('hashcli'), before);
    // The value docker-compose wrote is the one Berth computes for these files.
    const loaded = loadProject({ name: 'hashcli', files: [{ name: 'docker-compose.yml', content }], env: dotenv, workingDir: dir, readFile: (p) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null) });
    const imageId = (await e.berth.getImage('busybox').inspect()).Id;
    for (const c of await e.berth.listContainers({ all: true, filters: { label: ['com.docker.compose.project=hashcli'] } })) {
      const service = c.Labels!['com.docker.compose.service']!;
      assert.equal(c.Labels!['com.docker.compose.config-hash'], configHash(loaded.services[service]!, imageId), service);
    }
    // A changed environment value: Berth recreates that service only.
    const phases2 = await deploy('hashcli', project(port, 'two'));
    assert.ok(phases2.includes('db:recreating') && !phases2.includes('web:recreating'), phases2.join(' '));
    await caller.stacks.down({ name: 'hashcli', volumes: true });
  });
});
