// The stacks procedures over the embedded engine: viewers read and validate, operators deploy; schema
// errors come back with line and column; the plan says what a redeploy changes; merged logs carry the
// service; scale, versions and rollback; host bind mounts need an admin (or the admin's setting).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../../../../server/auth/password.ts';
import { createSession, SESSION_COOKIE } from '../../../../../server/auth/sessions.ts';
import { EngineHub } from '../../../../../server/engine/hub.ts';
import { startApiEnv, type ApiEnv } from '../../../engine-api/test-env.ts';
import { appRouter } from '../../../../../server/api/root.ts';
import { createCallerFactory, createContext } from '../../../../../server/api/trpc.ts';
import type { DeployEvent } from '../../../../../server/api/routers/stacks/router.ts';

const createCaller = createCallerFactory(appRouter);
type Ctx = Awaited<ReturnType<typeof createContext>>;

const v1 = `services:
  api:
    image: busybox
    command: sh -c 'i=0; while true; do echo "api line $$i"; i=$$((i+1)); sleep 0.2; done'
    stop_grace_period: 1s
  worker:
    image: busybox
    command: sh -c 'echo "worker says \${GREETING}"; exec sleep 3600'
    stop_grace_period: 1s
`;

async function deploy(ctx: Ctx, input: Parameters<ReturnType<typeof createCaller>['stacks']['deploy']>[0]): Promise<DeployEvent[]> {
  const ac = new AbortController();
  const events: DeployEvent[] = [];
  for await (const ev of await createCaller(ctx, { signal: ac.signal }).stacks.deploy(input)) events.push(ev);
  return events;
}

describe('stacks router', () => {
  let e: ApiEnv;
  const ctx: Record<'admin' | 'operator' | 'viewer', Ctx> = {} as never;
  const as = (role: keyof typeof ctx) => createCaller(ctx[role]);

  before(async () => {
    e = await startApiEnv('stacks-rt');
    e.services.engines = new EngineHub({ isRoot: true, createEmbedded: () => e.berth });
    for (const role of ['admin', 'operator', 'viewer'] as const) {
      await e.services.db.user.create({ data: { id: role, username: role, role, passwordHash: await hashPassword('long enough password') } });
      const s = await createSession(e.services.db, role, {});
      const req = { headers: { cookie: `${SESSION_COOKIE}=${s.token}`, host: '127.0.0.1' }, socket: { remoteAddress: '127.0.0.1' } } as unknown as http.IncomingMessage;
      ctx[role] = await createContext(e.services, req, null);
    }
  });
  after(async () => {
    await e?.cleanup();
  });

  it('validate reports schema errors with line and column, for viewers too', async () => {
    const r = await as('viewer').stacks.validate({ files: [{ name: 'compose.yaml', content: 'services:\n  web:\n    image: busybox\n    stop_signal: [1]\n' }] });
    assert.equal(r.ok, false);
    assert.deepEqual(r.issues.map((i) => [i.file, i.line, i.col, i.path]), [['compose.yaml', 4, 18, 'services.web.stop_signal']]);
    const host = await as('viewer').stacks.validate({ files: [{ name: 'compose.yaml', content: 'services:\n  web:\n    image: busybox\n    env_file: /etc/hostname\n' }] });
    assert.equal(host.ok, false);
    assert.match(host.issues[0]!.message, /\/etc\/hostname is outside the stack folder: reading host paths needs the admin role/);
    const good = await as('viewer').stacks.validate({ files: [{ name: 'compose.yaml', content: v1 }], env: 'GREETING=hi' });
    assert.equal(good.ok, true);
    assert.deepEqual(good.services.map((s) => s.name), ['api', 'worker']);
  });

  it('viewers cannot deploy; operators can, with progress per service', async () => {
    await assert.rejects(deploy(ctx.viewer, { name: 'logs', files: [{ name: 'compose.yaml', content: v1 }], env: '', assets: [], profiles: [], removeOrphans: false, note: '' }), /needs the operator role/);
    const events = await deploy(ctx.operator, { name: 'logs', files: [{ name: 'compose.yaml', content: v1 }], env: 'GREETING=hello', assets: [], profiles: [], removeOrphans: false, note: 'first' });
    assert.equal(events.at(-1)!.type, 'finished');
    assert.ok(events.some((x) => x.type === 'service' && x.service === 'worker' && x.phase === 'started'));
    assert.ok(events.some((x) => x.type === 'plan'));
    const audit = await e.services.db.auditLog.findMany({ where: { action: 'stacks.deploy' } });
    assert.ok(audit.some((a) => a.actorName === 'operator' && a.result === 'success'), JSON.stringify(audit));
    const get = await as('viewer').stacks.get({ name: 'logs' });
    assert.equal(get.origin, 'berth');
    assert.deepEqual(get.content?.files.map((f) => f.name), ['compose.yaml']);
    assert.equal(get.content?.env, 'GREETING=hello');
  });

  it('merged logs carry each line\'s service', async () => {
    const ac = new AbortController();
    const seen: { service: string; text: string }[] = [];
    const it = (await createCaller(ctx.viewer, { signal: ac.signal }).stacks.logs({ name: 'logs' }))[Symbol.asyncIterator]();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !(seen.some((s) => s.service === 'api' && /api line \d+/.test(s.text)) && seen.some((s) => s.service === 'worker' && s.text.includes('worker says hello')))) {
      const r = await it.next();
      if (r.done) break;
      seen.push(r.value);
    }
    ac.abort();
    void it.return?.();
    assert.ok(seen.some((s) => s.service === 'worker' && s.text.includes('worker says hello')), JSON.stringify(seen).slice(0, 500));
    assert.ok(seen.some((s) => s.service === 'api' && /api line \d+/.test(s.text)));
  });

  it('log pages go back from a cursor without gaps, and the live stream goes on from the first page', async () => {
    // api writes a numbered line every 0.2 s: let a few accumulate.
    await new Promise((r) => setTimeout(r, 2500));
    const viewer = as('viewer');
    const p1 = await viewer.stacks.logPage({ name: 'logs', limit: 4 });
    assert.equal(p1.more, true);
    assert.ok(p1.streams.length > 0 && p1.streams.length <= 4, p1.text);
    const p2 = await viewer.stacks.logPage({ name: 'logs', limit: 4, before: p1.cursor! });
    const p3 = await viewer.stacks.logPage({ name: 'logs', limit: 4, before: p2.cursor! });
    const lines = [p3, p2, p1].flatMap((p) => p.text.split('\n').map((text, i) => ({ text, service: p.services[p.service[i]!]! })));
    assert.deepEqual([...lines.map((l) => l.text)].sort(), lines.map((l) => l.text), 'oldest first across pages');
    const nums = lines.filter((l) => l.service === 'api').map((l) => Number(/api line (\d+)/.exec(l.text)![1]));
    assert.ok(nums.length >= 6, JSON.stringify(lines));
    nums.forEach((n, i) => i && assert.equal(n, nums[i - 1]! + 1, `no gap between pages: ${nums.join(',')}`));
    // The live part from the first page's `until`: the next api line, nothing twice.
    const ac = new AbortController();
    const it = (await createCaller(ctx.viewer, { signal: ac.signal }).stacks.logs({ name: 'logs', tail: 'all', since: p1.until }))[Symbol.asyncIterator]();
    let next: number | null = null;
    const deadline = Date.now() + 10_000;
    while (next === null && Date.now() < deadline) {
      const r = await it.next();
      if (r.done) break;
      const m = r.value.service === 'api' ? /api line (\d+)/.exec(r.value.text) : null;
      if (m) next = Number(m[1]);
    }
    ac.abort();
    void it.return?.();
    assert.equal(next, nums.at(-1)! + 1);
  });

  it('paging a burst (lines sharing one timestamp) back to the start gives every line once', async () => {
    const burst = 'services:\n  a:\n    image: busybox\n    command: sh -c \'seq 1 3000; exec sleep 3600\'\n    stop_grace_period: 1s\n  b:\n    image: busybox\n    command: sh -c \'seq 1 700; exec sleep 3600\'\n    stop_grace_period: 1s\n';
    assert.equal((await deploy(ctx.operator, { name: 'burst', files: [{ name: 'compose.yaml', content: burst }], env: '', assets: [], profiles: [], removeOrphans: false, note: '' })).at(-1)!.type, 'finished');
    const viewer = as('viewer');
    const count = async () => {
      const seen = { a: [] as number[], b: [] as number[] };
      let before: string | undefined;
      for (let i = 0; i < 200; i++) {
        const p = await viewer.stacks.logPage({ name: 'burst', limit: 250, before });
        const lines = p.streams.length ? p.text.split('\n') : [];
        // Oldest first within a page; pages come newest first.
        const page = { a: [] as number[], b: [] as number[] };
        lines.forEach((l, k) => page[p.services[p.service[k]!] as 'a' | 'b'].push(Number(l.split(' ')[1])));
        seen.a.unshift(...page.a);
        seen.b.unshift(...page.b);
        if (!p.more) break;
        before = p.cursor!;
      }
      return seen;
    };
    // The containers may still be writing: page again until both logs are complete (a gap never is).
    let seen = await count();
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && (seen.a.length < 3000 || seen.b.length < 700); ) {
      await new Promise((r) => setTimeout(r, 500));
      seen = await count();
    }
    assert.deepEqual(seen.a, Array.from({ length: 3000 }, (_, i) => i + 1));
    assert.deepEqual(seen.b, Array.from({ length: 700 }, (_, i) => i + 1));
    await as('operator').stacks.remove({ name: 'burst' });
  });

  it('live merged logs attach replicas started after they opened', async () => {
    const ac = new AbortController();
    const it = (await createCaller(ctx.viewer, { signal: ac.signal }).stacks.logs({ name: 'logs', services: ['worker'] }))[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.value?.container, 'logs-worker-1');
    // The next() pending while the scale runs must not be lost: collect in the background.
    const seen: string[] = [];
    const collecting = (async () => {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !seen.some((x) => x.startsWith('logs-worker-2:') && x.includes('worker says hello'))) {
        const r = await it.next();
        if (r.done) break;
        seen.push(`${r.value.container}:${r.value.text}`);
      }
    })();
    await as('operator').stacks.scale({ name: 'logs', service: 'worker', replicas: 2 });
    await collecting;
    ac.abort();
    void it.return?.();
    assert.ok(seen.some((x) => x.startsWith('logs-worker-2:') && x.includes('worker says hello')), JSON.stringify(seen).slice(0, 600));
    await as('operator').stacks.scale({ name: 'logs', service: 'worker', replicas: 1 });
  });

  it("the stack's events: its containers' and network's, by the project label", async () => {
    const ac = new AbortController();
    const seen: { Type: string; Action: string; Actor: { Attributes: Record<string, string> } }[] = [];
    const it = (await createCaller(ctx.viewer, { signal: ac.signal }).stacks.events({ name: 'logs', sinceSeconds: 600 }))[Symbol.asyncIterator]();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !seen.some((x) => x.Type === 'container' && x.Action === 'start' && x.Actor.Attributes['com.docker.compose.service'] === 'worker')) {
      const r = await it.next();
      if (r.done) break;
      seen.push(r.value as (typeof seen)[number]);
    }
    ac.abort();
    void it.return?.();
    assert.ok(seen.some((x) => x.Type === 'container' && x.Action === 'start' && x.Actor.Attributes['com.docker.compose.service'] === 'worker'), JSON.stringify(seen).slice(0, 400));
    assert.ok(seen.every((x) => x.Actor.Attributes['com.docker.compose.project'] === 'logs'));
  });

  it('plan shows what a redeploy changes; scale; versions and rollback', async () => {
    const v2 = v1.replace('worker says', 'worker now says');
    const plan = await as('viewer').stacks.plan({ name: 'logs', files: [{ name: 'compose.yaml', content: v2 }], env: 'GREETING=hello' });
    assert.deepEqual(plan.services.map((s) => [s.name, s.action]), [['api', 'unchanged'], ['worker', 'recreate']]);
    assert.equal((await deploy(ctx.operator, { name: 'logs', files: [{ name: 'compose.yaml', content: v2 }], env: 'GREETING=hello', assets: [], profiles: [], removeOrphans: false, note: '' })).at(-1)!.type, 'finished');
    await as('operator').stacks.scale({ name: 'logs', service: 'api', replicas: 2 });
    assert.deepEqual((await as('viewer').stacks.get({ name: 'logs' })).serviceDetails.find((s) => s.name === 'api')!.containers.map((c) => c.name), ['logs-api-1', 'logs-api-2']);
    await assert.rejects(as('viewer').stacks.scale({ name: 'logs', service: 'api', replicas: 1 }), /needs the operator role/);
    await assert.rejects(as('operator').stacks.scale({ name: 'logs', service: 'nope', replicas: 1 }), /has no service "nope"/);
    const versions = await as('viewer').stacks.versions({ name: 'logs' });
    assert.deepEqual(versions.map((v) => [v.version, v.result, v.user]), [[2, 'deployed', 'operator'], [1, 'deployed', 'operator']]);
    const ac = new AbortController();
    const events: DeployEvent[] = [];
    for await (const ev of await createCaller(ctx.operator, { signal: ac.signal }).stacks.rollback({ name: 'logs', version: 1 })) events.push(ev);
    assert.equal(events.at(-1)!.type, 'finished');
    const cur = await as('viewer').stacks.get({ name: 'logs' });
    assert.equal(cur.version, 3);
    assert.match(cur.content!.files[0]!.content, /worker says/);
    // The rollback deploys the files' replica count again (scale lasts until the next deploy).
    assert.deepEqual(cur.serviceDetails.find((s) => s.name === 'api')!.containers.map((c) => c.name), ['logs-api-1']);
  });

  it('host bind mounts need an admin, or the admin setting for operators; a failed deploy says why', async () => {
    const files = [{ name: 'compose.yaml', content: 'services:\n  b:\n    image: busybox\n    command: sleep 3600\n    stop_grace_period: 1s\n    volumes: ["/tmp:/host-tmp:ro"]\n' }];
    const refused = await deploy(ctx.operator, { name: 'binds', files, env: '', assets: [], profiles: [], removeOrphans: false, note: '' });
    const last = refused.at(-1)!;
    assert.equal(last.type, 'failed');
    assert.match((last as { message: string }).message, /bind mounts of host paths need the admin role/);
    await assert.rejects(as('operator').stacks.setBindMountSetting({ operatorsMayBindMount: true }), /needs the admin role/);
    await as('admin').stacks.setBindMountSetting({ operatorsMayBindMount: true });
    assert.equal((await deploy(ctx.operator, { name: 'binds', files, env: '', assets: [], profiles: [], removeOrphans: false, note: '' })).at(-1)!.type, 'finished');
    await as('admin').stacks.setBindMountSetting({ operatorsMayBindMount: false });
    // A build context outside the stack folder would send host files to the builder: the same rule.
    const ctxOut = await deploy(ctx.operator, { name: 'binds', files: [{ name: 'compose.yaml', content: 'services:\n  b:\n    build: /etc\n' }], env: '', assets: [], profiles: [], removeOrphans: false, note: '' });
    assert.match((ctxOut.at(-1) as { message: string }).message, /service "b": build context \/etc/);
    await as('operator').stacks.remove({ name: 'binds' });
    await as('operator').stacks.down({ name: 'logs', volumes: true });
    assert.equal((await as('viewer').stacks.list()).find((s) => s.name === 'logs')!.status, 'empty');
  });
});
