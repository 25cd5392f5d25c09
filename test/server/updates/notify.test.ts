// Issue 23, server side beyond the first version: update notices through alert channels (an `update`
// rule, de-duplicated and rate limited, to a local HTTP receiver), the new image's creation date in the
// check, the per-stack policy stored in dashboard.db and honoured by the scheduled pass, and the Docker
// events an update emits (pull, then the recreate as dockerd shows it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineEvent } from '@berth/runtime/engine';
import { startRegistry, type RegistryServer } from '../../../native-runtime/test/support/registry-server.ts';
import { sealConfig } from '../../../server/alerts/channels.ts';
import { AlertEngine } from '../../../server/alerts/engine.ts';
import { ndjson } from '../../../server/engine/streams.ts';
import { startApiEnv, type ApiEnv } from '../engine-api/test-env.ts';
import { waitFor } from '../../../native-runtime/test/berth-helpers.ts';
import { connectUpdateAlerts } from '../../../server/updates/notices.ts';
import { updatesOf } from '../../../server/updates/service.ts';
import { setStackPolicy, stackPolicies } from '../../../server/updates/stack-policy.ts';

interface Body {
  state: string;
  title: string;
  text: string;
  kind: string;
  subject: string;
  containerId: string | null;
}

describe('image update notices, creation date, stack policy, events (issue 23)', () => {
  let e: ApiEnv;
  let reg: RegistryServer;
  let dir: string;
  let alerts: AlertEngine;
  let disconnect: () => void;
  let receiver: http.Server;
  const got: Body[] = [];
  const ok = async (args: string[]) => {
    const r = await e.docker(args, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim();
  };
  const publish = async (name: string, version: string, extra: string[] = []) => {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), ['FROM busybox', `RUN echo ${version} > /version`, ...extra, 'CMD ["sleep", "3600"]'].join('\n') + '\n');
    await ok(['build', '-q', '-t', `localhost:${reg.port}/${name}:latest`, dir]);
    await ok(['push', `localhost:${reg.port}/${name}:latest`]);
    return (await e.berth.getImage(`localhost:${reg.port}/${name}:latest`).inspect()).Created;
  };

  before(async () => {
    e = await startApiEnv('upd-notify');
    reg = await startRegistry();
    dir = fs.mkdtempSync(path.join(e.root, 'ctx-'));
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push(JSON.parse(Buffer.concat(chunks).toString()) as Body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const db = e.services.db;
    await db.alertChannel.create({ data: { id: 'hook', name: 'hook', type: 'webhook', configSealed: sealConfig(e.services.config.root, { url, secret: 'k' }) } });
    await db.alertRule.create({ data: { id: 'upd', name: 'updates', kind: 'update', channelIds: '["hook"]', scope: '{"type":"all"}', params: '{"maxPerHour":30,"on":["available","applied","failed"]}' } });
    alerts = new AlertEngine({ db, root: e.services.config.root, engine: e.berth, backoffMs: [100] });
    await alerts.start();
    disconnect = connectUpdateAlerts(updatesOf(e.services), alerts);
  });
  after(async () => {
    disconnect?.();
    await alerts?.close();
    receiver?.close();
    await e?.cleanup();
    await reg?.stop();
  });

  it('update available (once per digest, with its creation date), applied, and rolled back reach the webhook', async () => {
    const ref = `127.0.0.1:${reg.port}/app:latest`;
    await publish('app', 'v1');
    await ok(['pull', ref]);
    await ok(['run', '-d', '--name', 'web', ref]);
    const svc = updatesOf(e.services);
    const created2 = await publish('app', 'v2');
    const [r] = (await svc.check(e.berth, 'local', true)).filter((x) => x.ref === ref);
    assert.equal(r?.status, 'update-available', JSON.stringify(r));
    // The new image's build time, read from its config in the registry (a HEAD cannot tell).
    assert.equal(r.status === 'update-available' ? r.created : null, created2);
    const avail = await waitFor(() => got.find((b) => b.title.startsWith('Update available')), 10_000, 'update available notice');
    assert.equal(avail.state, 'firing');
    assert.match(avail.text, new RegExp(r.status === 'update-available' ? r.digest : 'x'));
    assert.match(avail.text, new RegExp(`built ${created2.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // De-duplicated: the same digest found again (a scheduled pass, another "Check now") sends nothing new.
    await svc.check(e.berth, 'local', true);
    svc.checker.clear();
    await svc.pass(e.berth, 'local');
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(got.filter((b) => b.title.startsWith('Update available')).length, 1);

    const applied = await svc.updateOne(e.berth, 'local', 'web', { trigger: 'manual', actor: 'test' }, { gate: { settleMs: 1000 } });
    assert.equal(applied.status, 'updated');
    const a = await waitFor(() => got.find((b) => b.title.startsWith('Update applied: web')), 10_000, 'update applied notice');
    assert.equal(a.state, 'resolved');
    assert.equal(a.containerId, applied.currentId);

    await publish('app', 'v3', ['HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD false']);
    const failed = await svc.updateOne(e.berth, 'local', 'web', { trigger: 'manual', actor: 'test' }, { gate: { settleMs: 1000, timeoutMs: 30_000 } });
    assert.equal(failed.status, 'rolled-back');
    const f = await waitFor(() => got.find((b) => b.title.startsWith('Update failed: web')), 10_000, 'update failed notice');
    assert.equal(f.state, 'firing');
    assert.match(f.text, /rolled back: .*health check failed/);
    // The same bad image again: still one failure notice (de-duplicated until an update succeeds).
    await svc.updateOne(e.berth, 'local', 'web', { trigger: 'manual', actor: 'test' }, { gate: { settleMs: 1000, timeoutMs: 30_000 } });
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(got.filter((b) => b.title.startsWith('Update failed')).length, 1);
    const history = await e.services.db.alertEvent.findMany({ where: { kind: 'update' } });
    assert.deepEqual(history.map((h) => h.state).sort(), ['firing', 'firing', 'resolved']);
    await ok(['rm', '-f', 'web']);
  });

  it('a stack-level policy in the dashboard DB is honoured by the scheduled pass; a container label still wins', async () => {
    const ref = `127.0.0.1:${reg.port}/stk:latest`;
    await publish('stk', 'v1');
    await ok(['pull', ref]);
    const project = ['--label', 'com.docker.compose.project=shop'];
    await ok(['run', '-d', '--name', 'shop-a', ...project, ref]);
    await ok(['run', '-d', '--name', 'shop-b', ...project, '--label', 'berth.update=off', ref]);
    await ok(['run', '-d', '--name', 'other', ref]);
    const ids = Object.fromEntries(await Promise.all(['shop-a', 'shop-b', 'other'].map(async (n) => [n, (await e.berth.getContainer(n).inspect()).Id] as const)));
    await setStackPolicy(e.services.db, 'local', 'shop', 'auto');
    assert.deepEqual([...(await stackPolicies(e.services.db, 'local'))], [['shop', 'auto']]);
    await publish('stk', 'v2');
    const svc = updatesOf(e.services);
    svc.checker.clear();
    await svc.pass(e.berth, 'local');
    const now = async (n: string) => (await e.berth.getContainer(n).inspect()).Id;
    assert.notEqual(await now('shop-a'), ids['shop-a'], 'the stack says auto');
    assert.equal(await ok(['exec', 'shop-a', 'cat', '/version']), 'v2');
    assert.equal(await now('shop-b'), ids['shop-b'], 'its label says off');
    assert.equal(await now('other'), ids['other'], 'no stack, no label: notify');
    await setStackPolicy(e.services.db, 'local', 'shop', null);
    assert.equal((await stackPolicies(e.services.db, 'local')).size, 0);
    await ok(['rm', '-f', 'shop-a', 'shop-b', 'other']);
  });

  it('an update shows in docker events as dockerd shows a recreate: pull, kill/die/stop, rename, create, start, destroy', async () => {
    const ref = `127.0.0.1:${reg.port}/evt:latest`;
    await publish('evt', 'v1');
    await ok(['pull', ref]);
    await ok(['run', '-d', '--name', 'evt', ref]);
    const oldId = (await e.berth.getContainer('evt').inspect()).Id;
    await publish('evt', 'v2');
    const stream = await e.berth.getEvents({});
    const seen: EngineEvent[] = [];
    const reading = (async () => {
      for await (const ev of ndjson<EngineEvent>(stream)) seen.push(ev);
    })().catch(() => undefined);
    const o = await updatesOf(e.services).updateOne(e.berth, 'local', 'evt', { trigger: 'manual', actor: 'test' }, { gate: { settleMs: 1000 } });
    assert.equal(o.status, 'updated');
    await waitFor(() => (seen.some((ev) => ev.Action === 'destroy' && ev.Actor?.ID === oldId) ? true : undefined), 10_000, 'destroy event');
    stream.destroy();
    await reading;
    const mine = seen
      .filter((ev) => (ev.Type === 'image' && ev.Action === 'pull') || ev.Actor?.ID === oldId || ev.Actor?.ID === o.currentId)
      .map((ev) => `${ev.Type}:${ev.Action.split(':')[0]}${ev.Type === 'container' ? (ev.Actor?.ID === oldId ? '(old)' : '(new)') : ''}`);
    const order = ['image:pull', 'container:kill(old)', 'container:die(old)', 'container:stop(old)', 'container:rename(old)', 'container:create(new)', 'container:start(new)', 'container:destroy(old)'];
    let at = -1;
    for (const step of order) {
      const i = mine.indexOf(step, at + 1);
      assert.ok(i > at, `${step} after the previous step in ${JSON.stringify(mine)}`);
      at = i;
    }
    const pull = seen.find((ev) => ev.Type === 'image' && ev.Action === 'pull')!;
    assert.match(pull.Actor?.ID ?? '', /evt:latest$/);
    await ok(['rm', '-f', 'evt']);
  });
});
