// Issue 23 through tRPC: a two-service stack (one with two replicas) from a loopback registry; a new
// image is pushed; images.checkUpdates sees it, stacks.updateImages updates service by service, one
// replica at a time, and updates.history lists each container; viewers may look but not update.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../../../../server/auth/password.ts';
import { createSession, SESSION_COOKIE } from '../../../../../server/auth/sessions.ts';
import { EngineHub } from '../../../../../server/engine/hub.ts';
import { startApiEnv, type ApiEnv } from '../../../engine-api/test-env.ts';
import { startRegistry, type RegistryServer } from '../../../../../native-runtime/test/support/registry-server.ts';
import { appRouter } from '../../../../../server/api/root.ts';
import { createCallerFactory, createContext } from '../../../../../server/api/trpc.ts';
import { updatesOf } from '../../../../../server/updates/service.ts';

const createCaller = createCallerFactory(appRouter);
type Ctx = Awaited<ReturnType<typeof createContext>>;

describe('updates procedures (issue 23)', () => {
  let e: ApiEnv;
  let reg: RegistryServer;
  let dir: string;
  const ctx: Record<'operator' | 'viewer', Ctx> = {} as never;
  const as = (role: keyof typeof ctx) => createCaller(ctx[role]);
  const ok = async (args: string[]) => {
    const r = await e.docker(args, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim();
  };
  const publish = async (version: string) => {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM busybox\nRUN echo ${version} > /version\nCMD ["sleep", "3600"]\n`);
    await ok(['build', '-q', '-t', `localhost:${reg.port}/svc:latest`, dir]);
    await ok(['push', `localhost:${reg.port}/svc:latest`]);
  };

  before(async () => {
    e = await startApiEnv('updates-rt');
    e.services.engines = new EngineHub({ isRoot: true, createEmbedded: () => e.berth });
    reg = await startRegistry();
    dir = fs.mkdtempSync(path.join(e.root, 'ctx-'));
    for (const role of ['operator', 'viewer'] as const) {
      await e.services.db.user.create({ data: { id: role, username: role, role, passwordHash: await hashPassword('long enough password') } });
      const s = await createSession(e.services.db, role, {});
      const req = { headers: { cookie: `${SESSION_COOKIE}=${s.token}`, host: '127.0.0.1' }, socket: { remoteAddress: '127.0.0.1' } } as unknown as http.IncomingMessage;
      ctx[role] = await createContext(e.services, req, null);
    }
  });
  after(async () => {
    await e?.cleanup();
    await reg?.stop();
  });

  it('checkUpdates, stacks.updateImages one replica at a time, containers.updateImage, history', async () => {
    const image = `127.0.0.1:${reg.port}/svc:latest`;
    await publish('v1');
    await ok(['pull', image]);
    const compose = `services:\n  api:\n    image: ${image}\n    scale: 2\n    stop_grace_period: 1s\n  db:\n    image: ${image}\n    stop_grace_period: 1s\n`;
    const ac = new AbortController();
    for await (const _ of await createCaller(ctx.operator, { signal: ac.signal }).stacks.deploy({ name: 'shop', files: [{ name: 'compose.yaml', content: compose }], env: '', assets: [], profiles: [], removeOrphans: false, note: '' })) void _;
    assert.equal((await e.berth.listContainers({})).length, 3);

    const first = await as('viewer').images.checkUpdates({ force: true });
    assert.equal(first.find((r) => r.ref === image)?.status, 'up-to-date', JSON.stringify(first));
    await publish('v2');
    const second = await as('viewer').images.checkUpdates({ force: true });
    assert.equal(second.find((r) => r.ref === image)?.status, 'update-available');

    await assert.rejects(as('viewer').stacks.updateImages({ name: 'shop' }), /operator/);
    const v1 = (await e.berth.getImage(image).inspect()).Id;
    process.env['BERTH_UPDATE_PRUNE'] = '1'; // the old image goes once its last container moved on
    const r = await as('operator').stacks.updateImages({ name: 'shop', gate: { settleSeconds: 1, timeoutSeconds: 30 } }).finally(() => delete process.env['BERTH_UPDATE_PRUNE']);
    assert.deepEqual(r.outcomes.map((o) => o.prunedOldImage), [false, false, true]);
    await assert.rejects(e.berth.getImage(v1).inspect(), /No such image/);
    assert.deepEqual(r.pullErrors, []);
    assert.equal(r.stopped, null);
    assert.deepEqual(r.outcomes.map((o) => [o.name, o.status]), [['shop-api-1', 'updated'], ['shop-api-2', 'updated'], ['shop-db-1', 'updated']]);
    const running = await e.berth.listContainers({});
    assert.equal(running.length, 3);
    for (const c of running) assert.equal(c.ImageID, r.outcomes[0]!.toImageId);
    // Compose still sees its own project: the labels came along.
    assert.deepEqual(running.map((c) => c.Labels['com.docker.compose.service']).sort(), ['api', 'api', 'db']);

    const again = await as('operator').containers.updateImage({ id: 'shop-db-1' });
    assert.equal(again.status, 'up-to-date');

    const history = await as('viewer').updates.history();
    assert.deepEqual(history.map((h) => h.name).sort(), ['shop-api-1', 'shop-api-2', 'shop-db-1']);
    assert.ok(history.every((h) => h.status === 'updated' && h.trigger === 'stack:shop' && h.actor === 'operator'));
  });

  it('the scheduled pass updates berth.update=auto containers only; notify and off stay', async () => {
    const image = `127.0.0.1:${reg.port}/svc:latest`;
    for (const policy of ['auto', 'notify', 'off']) await ok(['run', '-d', '--name', `p-${policy}`, '--label', `berth.update=${policy}`, image]);
    const ids = Object.fromEntries(await Promise.all(['auto', 'notify', 'off'].map(async (p) => [p, (await e.berth.getContainer(`p-${p}`).inspect()).Id] as const)));
    await publish('v3');
    const svc = updatesOf(e.services);
    const seen: string[] = [];
    const on = (ev: { type: string; check?: { ref: string } }) => ev.type === 'check' && ev.check && seen.push(ev.check.ref);
    svc.events.on('event', on);
    // The cache answered "up to date" a moment ago; a pass after it expires asks again.
    svc.checker.clear();
    await svc.pass(e.berth, 'local');
    svc.events.off('event', on);
    const now = async (p: string) => e.berth.getContainer(`p-${p}`).inspect();
    assert.notEqual((await now('auto')).Id, ids['auto']);
    assert.equal(await ok(['exec', 'p-auto', 'cat', '/version']), 'v3');
    assert.equal((await now('notify')).Id, ids['notify']);
    assert.equal((await now('off')).Id, ids['off']);
    assert.ok(seen.includes(image), 'notify containers are announced');
    const auto = (await as('viewer').updates.history()).filter((h) => h.trigger === 'auto');
    assert.deepEqual(auto.map((h) => [h.name, h.status, h.actor]), [['p-auto', 'updated', null]]);
  });

  it('updates.setStackPolicy: operators set a stack policy, viewers read it; null goes back to the default', async () => {
    await assert.rejects(as('viewer').updates.setStackPolicy({ name: 'shop', policy: 'auto' }), /operator/);
    assert.deepEqual(await as('operator').updates.setStackPolicy({ name: 'shop', policy: 'off' }), { name: 'shop', policy: 'off' });
    assert.deepEqual(await as('viewer').updates.stackPolicies(), [{ stack: 'shop', policy: 'off' }]);
    await assert.rejects(as('operator').updates.setStackPolicy({ name: 'Bad Name', policy: 'auto' }), /stack name/);
    await assert.rejects(as('operator').updates.setStackPolicy({ name: 'shop', policy: 'sometimes' as never }), /Invalid/);
    await as('operator').updates.setStackPolicy({ name: 'shop', policy: null });
    assert.deepEqual(await as('viewer').updates.stackPolicies(), []);
  });
});
