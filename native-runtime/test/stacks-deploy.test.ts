// Stacks against real containers: a multi-service project with a build, a healthcheck and
// depends_on service_healthy; a redeploy that recreates only what changed; scale 1 -> 3 reached by
// the service name from a container that already runs; bad input that changes nothing; versions,
// rollback, orphans and down -v.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Stacks } from '../src/stacks/index.ts';
import type { StackEvent } from '../src/stacks/events.ts';
import { StackError } from '../src/stacks/errors.ts';
import { demux } from '../src/logs/format.ts';
import type { Berth } from '../src/index.ts';
import { makeEnv, type TestEnv } from './berth-helpers.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const DOCKERFILE = 'FROM busybox\nRUN mkdir /www\nCMD ["sh", "-c", "hostname > /www/index.html; exec httpd -f -p 80 -h /www"]\n';

const compose = (clientEnv: string) => `
services:
  db:
    image: busybox
    command: sh -c "mkdir -p /www; echo db > /www/index.html; sleep 1; touch /tmp/ready; exec httpd -f -p 80 -h /www"
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready"]
      interval: 300ms
      retries: 20
    volumes: [data:/data]
    stop_grace_period: 1s
  web:
    build: ./web
    stop_grace_period: 1s
    depends_on:
      db: {condition: service_healthy}
    networks:
      default:
        aliases: [www]
  client:
    image: busybox
    command: sleep 3600
    stop_grace_period: 1s
    environment: {MODE: "${clientEnv}"}
    depends_on: [web]
volumes:
  data: {}
`;

async function execOut(berth: Berth, id: string, cmd: string): Promise<string> {
  const x = await berth.getContainer(id).exec({ Cmd: ['sh', '-c', cmd], AttachStdout: true, AttachStderr: true });
  const s = await x.start({});
  const chunks: Buffer[] = [];
  for await (const ch of s) chunks.push(ch as Buffer);
  const d = demux(Buffer.concat(chunks));
  return d.stdout.toString() + d.stderr.toString();
}

describe('stacks over the embedded engine', () => {
  let env: TestEnv;
  let stacks: Stacks;
  const ids = async (name: string) => {
    const d = await stacks.get(name);
    return Object.fromEntries([...d.serviceDetails.flatMap((s) => s.containers), ...d.orphans].map((c) => [c.name, c.id]));
  };

  before(async () => {
    env = makeEnv('stacks');
    await env.berth.ping();
    stacks = new Stacks({ engine: env.berth, root: path.join(env.root, 'stacks'), local: true });
  });
  after(async () => {
    await env?.cleanup();
  });

  it('deploys a build, a healthcheck and depends_on service_healthy, in order', async () => {
    const events: StackEvent[] = [];
    const r = await stacks.deploy({ name: 'shop', files: [{ name: 'compose.yaml', content: compose('one') }], env: '', assets: [{ path: 'web/Dockerfile', content: b64(DOCKERFILE) }], allowHostBinds: false, user: 'test' }, (e) => events.push(e));
    assert.equal(r.version, 1);
    const at = (pred: (e: StackEvent) => boolean) => events.findIndex(pred);
    const healthy = at((e) => e.type === 'service' && e.service === 'db' && e.phase === 'healthy');
    const webStart = at((e) => e.type === 'service' && e.service === 'web' && e.phase === 'starting');
    assert.ok(healthy >= 0 && webStart > healthy, `db healthy before web starts: ${JSON.stringify(events.filter((e) => e.type === 'service'))}`);
    assert.ok(events.some((e) => e.type === 'build' && e.service === 'web' && /Step 1\/3/.test(String(e.record['stream']))), 'build output passed through');
    assert.ok(events.some((e) => e.type === 'network' && e.name === 'shop_default' && e.action === 'created'));
    assert.ok(events.some((e) => e.type === 'volume' && e.name === 'shop_data' && e.action === 'created'));
    assert.equal(events.at(-1)!.type, 'done');

    const list = await stacks.list();
    const shop = list.find((s) => s.name === 'shop')!;
    assert.equal(shop.origin, 'berth');
    assert.deepEqual(shop.containers, { total: 3, running: 3 });
    assert.deepEqual(shop.services, ['client', 'db', 'web']);
    const detail = await stacks.get('shop');
    const web = detail.serviceDetails.find((s) => s.name === 'web')!;
    assert.equal(web.image, 'shop-web');
    assert.deepEqual(web.containers.map((c) => c.name), ['shop-web-1']);
    const info = await env.berth.getContainer('shop-web-1').inspect();
    assert.equal(info.Config.Labels!['com.docker.compose.project'], 'shop');
    assert.equal(info.Config.Labels!['com.docker.compose.project.working_dir'], path.join(env.root, 'stacks', 'shop'));
    assert.ok(info.NetworkSettings.Networks['shop_default']!.Aliases!.includes('web'));
    assert.ok(info.NetworkSettings.Networks['shop_default']!.Aliases!.includes('www'));
    // The stack folder is a compose project folder: the files of the current version are there.
    assert.equal(fs.readFileSync(path.join(env.root, 'stacks', 'shop', 'compose.yaml'), 'utf8'), compose('one'));
    assert.equal(fs.readFileSync(path.join(env.root, 'stacks', 'shop', 'web', 'Dockerfile'), 'utf8'), DOCKERFILE);
    // The client reaches the others by service name and alias.
    const client = (await ids('shop'))['shop-client-1']!;
    assert.equal((await execOut(env.berth, client, 'wget -qO- http://db/')).trim(), 'db');
    assert.equal((await execOut(env.berth, client, 'wget -qO- http://www/')).trim(), info.Config.Hostname);
  });

  it('a redeploy recreates only the service whose config changed', async () => {
    const before = await ids('shop');
    const events: StackEvent[] = [];
    const plan = await stacks.plan({ name: 'shop', files: [{ name: 'compose.yaml', content: compose('two') }], env: '', assets: [{ path: 'web/Dockerfile', content: b64(DOCKERFILE) }] });
    assert.deepEqual(Object.fromEntries(plan.services.map((s) => [s.name, s.action])), { db: 'unchanged', web: 'unchanged', client: 'recreate' });
    const r = await stacks.deploy({ name: 'shop', files: [{ name: 'compose.yaml', content: compose('two') }], env: '', assets: [{ path: 'web/Dockerfile', content: b64(DOCKERFILE) }], allowHostBinds: false, user: 'test' }, (e) => events.push(e));
    assert.equal(r.version, 2);
    const after = await ids('shop');
    assert.equal(after['shop-db-1'], before['shop-db-1']);
    assert.equal(after['shop-web-1'], before['shop-web-1'], 'an unchanged build keeps its container');
    assert.notEqual(after['shop-client-1'], before['shop-client-1']);
    const cInfo = await env.berth.getContainer('shop-client-1').inspect();
    assert.ok(cInfo.Config.Env!.includes('MODE=two'));
  });

  it('scale 1 -> 3: a container that already runs reaches all three replicas by the service name', async () => {
    const client = (await ids('shop'))['shop-client-1']!;
    await stacks.scale('shop', 'web', 3);
    const detail = await stacks.get('shop');
    const web = detail.serviceDetails.find((s) => s.name === 'web')!;
    assert.deepEqual(web.containers.map((c) => [c.name, c.state]), [['shop-web-1', 'running'], ['shop-web-2', 'running'], ['shop-web-3', 'running']]);
    assert.equal((await ids('shop'))['shop-client-1'], client, 'scaling does not touch other services');
    const hostnames = new Set<string>();
    for (const c of web.containers) hostnames.add((await env.berth.getContainer(c.id).inspect()).Config.Hostname);
    // Every address the name `web` resolves to (DNS or hosts file), each asked for its hostname.
    const script = "ips=$( (timeout 3 nslookup web 2>/dev/null | sed -n '/^Name:/,$ s/^Address:* *//p'; awk '{for(i=2;i<=NF;i++) if($i==\"web\") print $1}' /etc/hosts) | grep -v ':' | sort -u); for ip in $ips; do wget -qO- http://$ip/; done | sort -u";
    let seen = new Set<string>();
    for (let i = 0; i < 10 && seen.size < 3; i++) {
      seen = new Set((await execOut(env.berth, client, script)).split('\n').filter(Boolean));
      if (seen.size < 3) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual([...seen].sort(), [...hostnames].sort());
    await stacks.scale('shop', 'web', 1);
    assert.deepEqual((await stacks.get('shop')).serviceDetails.find((s) => s.name === 'web')!.containers.map((c) => c.name), ['shop-web-1']);
  });

  it('bad input changes nothing: schema errors, unknown dependencies, host binds, a taken port', async () => {
    const before = await ids('shop');
    const versions = stacks.versions('shop').length;
    const bad = async (files: string, msg: RegExp, opts: { allowHostBinds?: boolean } = {}) => {
      await assert.rejects(
        stacks.deploy({ name: 'shop', files: [{ name: 'compose.yaml', content: files }], env: '', allowHostBinds: opts.allowHostBinds ?? false, user: 't' }, () => undefined),
        (err: unknown) => err instanceof StackError && msg.test(err.message),
      );
    };
    await bad('services:\n  db:\n    image: busybox\n    ports: {}\n', /compose\.yaml:4:12: services\.db\.ports: must be array/);
    await bad('services:\n  db:\n    image: busybox\n    depends_on: [nope]\n', /depends on undefined service "nope"/);
    await bad('services:\n  db:\n    image: busybox\n    volumes: [/etc:/host-etc]\n', /bind mounts of host paths need the admin role/);
    await bad('services:\n  db:\n    image: no-such-image-here:1\n', /service "db": image no-such-image-here:1 cannot be had/);
    assert.deepEqual(await ids('shop'), before);
    assert.equal(stacks.versions('shop').length, versions, 'no version for input that never deployed');
    // A failing build happens after the files are recorded: a failed version, containers untouched.
    await assert.rejects(
      stacks.deploy({ name: 'shop', files: [{ name: 'compose.yaml', content: compose('three') }], env: '', assets: [{ path: 'web/Dockerfile', content: b64('FROM busybox\nRUN exit 3\n') }], allowHostBinds: false, user: 't' }, () => undefined),
      /service "web": build failed: The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/,
    );
    assert.deepEqual(await ids('shop'), before);
    assert.equal(stacks.versions('shop').length, versions + 1);
    assert.equal(stacks.versions('shop')[0]!.result, 'failed');
    // A port published by another stack names the service.
    const port = 20000 + (process.pid % 20000);
    await stacks.deploy({ name: 'porta', files: [{ name: 'compose.yaml', content: `services:\n  a:\n    image: busybox\n    command: httpd -f -p 80\n    ports: ["127.0.0.1:${port}:80"]\n` }], env: '', allowHostBinds: false, user: 't' }, () => undefined);
    await assert.rejects(
      stacks.deploy({ name: 'portb', files: [{ name: 'compose.yaml', content: `services:\n  b:\n    image: busybox\n    command: httpd -f -p 80\n    ports: ["127.0.0.1:${port}:80"]\n` }], env: '', allowHostBinds: false, user: 't' }, () => undefined),
      new RegExp(`service "b": port ${port}/tcp is already published by container porta-a-1`),
    );
    assert.equal((await stacks.list()).some((s) => s.name === 'portb'), false, 'a refused deploy leaves no stack behind');
    await stacks.remove('porta');
    await stacks.remove('portb');
    assert.equal((await stacks.list()).some((s) => s.name === 'porta' || s.name === 'portb'), false);
  });

  it('versions and rollback; orphans are reported, then removed on request', async () => {
    const versions = stacks.versions('shop');
    assert.deepEqual(versions.map((v) => v.result), ['failed', 'deployed', 'deployed']);
    const r = await stacks.rollback({ name: 'shop', version: 1, allowHostBinds: false, user: 'test' }, () => undefined);
    assert.equal(r.version, 4);
    assert.ok((await env.berth.getContainer('shop-client-1').inspect()).Config.Env!.includes('MODE=one'));
    assert.equal(stacks.versions('shop')[0]!.note, 'rollback to version 1');
    // Drop the client service: its container is an orphan until removeOrphans.
    const without = compose('one').replace(/  client:[\s\S]*?depends_on: \[web\]\n/, '');
    const events: StackEvent[] = [];
    await stacks.deploy({ name: 'shop', files: [{ name: 'compose.yaml', content: without }], env: '', assets: [{ path: 'web/Dockerfile', content: b64(DOCKERFILE) }], allowHostBinds: false, user: 't' }, (e) => events.push(e));
    assert.ok(events.some((e) => e.type === 'orphan' && e.container === 'shop-client-1' && e.action === 'found'));
    assert.deepEqual((await stacks.get('shop')).orphans.map((c) => c.name), ['shop-client-1']);
    await stacks.deploy({ name: 'shop', files: [{ name: 'compose.yaml', content: without }], env: '', assets: [{ path: 'web/Dockerfile', content: b64(DOCKERFILE) }], allowHostBinds: false, user: 't', removeOrphans: true }, () => undefined);
    assert.deepEqual((await stacks.get('shop')).orphans, []);
  });

  it('a deploy that fails half-way (an unhealthy dependency) is converged by the next', async () => {
    const project = (check: string) => `services:\n  db:\n    image: busybox\n    command: sleep 3600\n    stop_grace_period: 1s\n    healthcheck: {test: ["CMD-SHELL", "${check}"], interval: 200ms, retries: 2}\n  app:\n    image: busybox\n    command: sleep 3600\n    stop_grace_period: 1s\n    depends_on: {db: {condition: service_healthy}}\n`;
    await assert.rejects(
      stacks.deploy({ name: 'half', files: [{ name: 'compose.yaml', content: project('exit 1') }], env: '', allowHostBinds: false, user: 't' }, () => undefined),
      /dependency failed to start: container half-db-1 is unhealthy/,
    );
    const left = await stacks.get('half');
    assert.deepEqual(left.serviceDetails.map((x) => [x.name, x.containers.length]), [['app', 0], ['db', 1]], 'what was made is listed');
    assert.equal(stacks.versions('half')[0]!.result, 'failed');
    await stacks.deploy({ name: 'half', files: [{ name: 'compose.yaml', content: project('true') }], env: '', allowHostBinds: false, user: 't' }, () => undefined);
    const fixed = await stacks.get('half');
    assert.deepEqual(fixed.serviceDetails.map((x) => [x.name, x.containers.map((c) => c.state)]), [['app', ['running']], ['db', ['running']]]);
    assert.equal(fixed.serviceDetails.find((x) => x.name === 'db')!.containers[0]!.health, 'healthy');
    await stacks.remove('half');
  });

  it('a secret from the .env and an inline config are files in the container; a new value recreates it', async () => {
    const files = [{ name: 'compose.yaml', content: 'services:\n  app:\n    image: busybox\n    command: sleep 3600\n    stop_grace_period: 1s\n    secrets: [token]\n    configs: [{source: motd, target: /etc/motd}]\nsecrets:\n  token:\n    environment: TOKEN\nconfigs:\n  motd:\n    content: hello\n' }];
    await stacks.deploy({ name: 'sec', files, env: 'TOKEN=first', allowHostBinds: false, user: 't' }, () => undefined);
    const id = async () => (await stacks.get('sec')).serviceDetails[0]!.containers[0]!.id;
    const first = await id();
    assert.equal(await execOut(env.berth, first, 'cat /run/secrets/token; echo; cat /etc/motd'), 'first\nhello');
    assert.match(await execOut(env.berth, first, 'echo x > /run/secrets/token 2>&1 || echo read-only'), /read-only|Read-only/);
    await stacks.deploy({ name: 'sec', files, env: 'TOKEN=second', allowHostBinds: false, user: 't' }, () => undefined);
    const second = await id();
    assert.notEqual(second, first);
    assert.equal(await execOut(env.berth, second, 'cat /run/secrets/token'), 'second');
    await stacks.remove('sec');
  });

  it('devices: a host node in the container, writable; admins only, as --device (issue #16)', async () => {
    // Before: "devices" was warned about and dropped, so the node was missing.
    const files = [{ name: 'compose.yaml', content: 'services:\n  dev:\n    image: busybox\n    command: sleep 3600\n    stop_grace_period: 1s\n    devices: ["/dev/null:/dev/berthnull"]\n    device_cgroup_rules: ["c 1:3 rwm"]\n' }];
    const deploy = (allowDevices: boolean, content = files) => stacks.deploy({ name: 'devs', files: content, env: '', allowHostBinds: true, allowDevices, user: 't' }, () => undefined);
    await assert.rejects(deploy(false), (err: unknown) => err instanceof StackError && err.statusCode === 403 && /host devices and privileged services need the admin role: service "dev": device \/dev\/null:\/dev\/berthnull:rwm; service "dev": device cgroup rule "c 1:3 rwm"/.test(err.message));
    const privileged = [{ name: 'compose.yaml', content: 'services:\n  p:\n    image: busybox\n    privileged: true\n' }];
    await assert.rejects(deploy(false, privileged), /need the admin role: service "p": privileged/);
    assert.equal((await stacks.list()).some((s) => s.name === 'devs'), false, 'nothing deployed');

    await deploy(true);
    const id = (await stacks.get('devs')).serviceDetails[0]!.containers[0]!.id;
    assert.equal(await execOut(env.berth, id, "stat -c '%F %t:%T' /dev/berthnull; echo written > /dev/berthnull && echo ok"), 'character special file 1:3\nok\n');
    const hc = (await env.berth.getContainer(id).inspect()).HostConfig;
    assert.deepEqual([hc.Devices, hc.DeviceCgroupRules], [[{ PathOnHost: '/dev/null', PathInContainer: '/dev/berthnull', CgroupPermissions: 'rwm' }], ['c 1:3 rwm']]);
    await stacks.remove('devs');
  });

  it('stop, start, down -v', async () => {
    await stacks.stop('shop');
    assert.equal((await stacks.list()).find((s) => s.name === 'shop')!.status, 'stopped');
    await stacks.start('shop');
    assert.equal((await stacks.list()).find((s) => s.name === 'shop')!.status, 'running');
    await stacks.down('shop', { volumes: true });
    const s = (await stacks.list()).find((x) => x.name === 'shop')!;
    assert.equal(s.status, 'empty');
    assert.equal((await env.berth.listNetworks()).some((n) => n.Name === 'shop_default'), false);
    assert.equal(((await env.berth.listVolumes()).Volumes ?? []).some((v) => v.Name === 'shop_data'), false);
  });
});
