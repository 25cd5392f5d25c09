// Alerts end to end: real containers on the embedded engine, the real indexer process, and a local HTTP
// receiver (webhook with HMAC, ntfy, slack) and SMTP server (smtp-server, STARTTLS) on 127.0.0.1 receive an
// alert for each rule kind. Channels and rules go through the tRPC procedures with their roles.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TRPCError } from '@trpc/server';
import { SMTPServer } from 'smtp-server';
import { makeEnv, waitFor, type TestEnv } from '../../../native-runtime/test/berth-helpers.ts';
import { appRouter } from '../../../server/api/root.ts';
import { createCallerFactory, type Context } from '../../../server/api/trpc.ts';
import type { Role } from '../../../server/auth/roles.ts';
import { LogIndexService } from '../../../server/logs-index/service.ts';
import { createTestServices, type TestServices } from '../../support/services.ts';
import { AlertEngine } from '../../../server/alerts/engine.ts';
import { SIGNATURE_HEADER, signBody } from '../../../server/alerts/senders.ts';

const MB = 1024 * 1024;
const MS = 1_000_000;

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

let env: TestEnv;
let s: TestServices;
let logs: LogIndexService;
let alerts: AlertEngine;
let receiver: http.Server;
let base: string;
const got: Received[] = [];
let smtp: SMTPServer;
let smtpPort = 0;
const mails: { from: string; to: string[]; body: string; secure: boolean }[] = [];

const createCaller = createCallerFactory(appRouter);
function caller(role: Role) {
  const ctx: Context = {
    services: s,
    req: null,
    res: null,
    ip: '127.0.0.1',
    audit: {},
    session: { id: `sess-${role}`, expiresAt: new Date(Date.now() + 60_000), user: { id: `id-${role}`, username: `${role}-user`, role } },
  };
  return createCaller(ctx);
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof TRPCError ? err.code : `unexpected ${String(err)}`;
  }
}

function startAlerts(): Promise<void> {
  alerts = new AlertEngine({ db: s.db, root: env.root, engine: env.berth, logs, pollMs: 300, backoffMs: [100, 200] });
  s.alerts = alerts;
  return alerts.start();
}

function bodiesAt(path: string): { state: string; kind: string; subject: string; text: string; title: string }[] {
  return got.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as { state: string; kind: string; subject: string; text: string; title: string });
}

async function received(path: string, pred: (b: ReturnType<typeof bodiesAt>[number]) => boolean, what: string, timeoutMs = 30_000) {
  return waitFor(() => bodiesAt(path).find(pred), timeoutMs, what);
}

before(async () => {
  env = makeEnv('alerts');
  s = createTestServices({ root: env.root });
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() });
      res.writeHead(req.url === '/broken' ? 500 : 200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  smtp = new SMTPServer({
    authOptional: true,
    // Refuse mail over a plain connection: the channel must have upgraded with STARTTLS.
    onMailFrom(_addr, session, cb) {
      cb(session.secure ? null : new Error('STARTTLS first'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), body: Buffer.concat(chunks).toString(), secure: session.secure });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  logs = new LogIndexService({ root: env.root, pollMs: 50 });
  logs.start();
  s.logs = logs;
  await startAlerts();
});

after(async () => {
  await alerts.close();
  await logs.close();
  receiver.close();
  smtp.close();
  await env.cleanup();
  await s.db.$disconnect();
});

describe('alerts', () => {
  let webhook = '';
  let secret = '';
  let all: string[] = [];

  test('channels are for admins, rules for operators; bad input is refused', async () => {
    assert.equal(await code(caller('operator').alerts.channels.create({ name: 'x', type: 'webhook', url: `${base}/x` })), 'FORBIDDEN');
    assert.equal(await code(caller('admin').alerts.channels.create({ name: 'x', type: 'webhook', url: 'ftp://nope' })), 'BAD_REQUEST');
    assert.equal(await code(caller('admin').alerts.channels.create({ name: 'x', type: 'smtp', url: '' })), 'BAD_REQUEST');
    webhook = (await caller('admin').alerts.channels.create({ name: 'hook', type: 'webhook', url: `${base}/hook` })).id;
    const ntfy = (await caller('admin').alerts.channels.create({ name: 'ntfy', type: 'ntfy', url: `${base}/ntfy/berth` })).id;
    const slack = (await caller('admin').alerts.channels.create({ name: 'slack', type: 'slack', url: `${base}/slack/T000/B000/XXXX` })).id;
    const mail = (
      await caller('admin').alerts.channels.create({
        name: 'mail',
        type: 'smtp',
        url: '',
        smtp: { host: '127.0.0.1', port: smtpPort, secure: false, insecure: false, tlsSkipVerify: true, from: 'berth@example.test', to: ['ops@example.test'] },
      })
    ).id;
    all = [webhook, ntfy, slack, mail];
    const list = await caller('admin').alerts.channels.list();
    secret = list.find((c) => c.id === webhook)!.secret!;
    assert.ok(secret.length >= 16);
    const viewer = await caller('viewer').alerts.channels.list();
    assert.equal(viewer.find((c) => c.id === webhook)!.secret, undefined);
    assert.equal(viewer.find((c) => c.id === slack)!.target.includes('XXXX'), false);
    assert.equal(await code(caller('viewer').alerts.rules.create({ name: 'r', kind: 'died', channelIds: [webhook] })), 'FORBIDDEN');
    assert.equal(await code(caller('operator').alerts.rules.create({ name: 'r', kind: 'log', channelIds: [webhook], params: { pattern: '(a)\\1' } })), 'BAD_REQUEST');
    assert.equal(await code(caller('operator').alerts.rules.create({ name: 'r', kind: 'cpu', channelIds: [webhook], params: { percent: 'lots' } })), 'BAD_REQUEST');
    assert.equal(await code(caller('operator').alerts.rules.create({ name: 'r', kind: 'died', channelIds: ['nope'] })), 'BAD_REQUEST');
    // The test button reaches each channel.
    for (const id of all) assert.deepEqual(await caller('admin').alerts.channels.test({ id }), { ok: true });
    assert.ok(mails.some((m) => m.secure && m.body.includes('test message')));
  });

  test('died: every channel kind receives it, signed; resolved when it runs again', async () => {
    await caller('operator').alerts.rules.create({ name: 'crash', kind: 'died', channelIds: all, scope: { type: 'stack', name: 'shop' } });
    // Out of scope: no alert.
    const other = await env.berth.createContainer({ Image: 'busybox', name: 'al-other', Cmd: ['sh', '-c', 'exit 4'] });
    await other.start();
    const c = await env.berth.createContainer({ Image: 'busybox', name: 'al-crash', Labels: { 'com.docker.compose.project': 'shop' }, Cmd: ['sh', '-c', 'exit 3'] });
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    await waited;
    const died = Date.now();
    const b = await received('/hook', (x) => x.kind === 'died' && x.subject === 'al-crash', 'webhook');
    assert.match(b.text, /exited with code 3/);
    const raw = got.find((r) => r.path === '/hook' && r.body.includes('al-crash'))!;
    assert.equal(raw.headers[SIGNATURE_HEADER.toLowerCase()], signBody(secret, raw.body));
    assert.ok(raw.at - died < 2000, `death to webhook took ${raw.at - died} ms`);
    await waitFor(() => got.find((r) => r.path === '/ntfy/berth' && r.body.includes('al-crash')), 10_000, 'ntfy');
    const ntfy = got.find((r) => r.path === '/ntfy/berth' && r.body.includes('al-crash'))!;
    assert.match(String(ntfy.headers['title']), /crash/);
    await waitFor(() => got.find((r) => r.path.startsWith('/slack/') && JSON.parse(r.body).text.includes('al-crash')), 10_000, 'slack');
    await waitFor(() => mails.find((m) => m.body.includes('al-crash') && m.secure && m.to.includes('ops@example.test')), 10_000, 'mail over STARTTLS');
    assert.equal(bodiesAt('/hook').some((x) => x.subject === 'al-other'), false);
    const restarted = c.wait({ condition: 'next-exit' });
    await c.start();
    await restarted;
    await received('/hook', (x) => x.state === 'resolved' && x.subject === 'al-crash', 'resolved');
    const history = await caller('viewer').alerts.history();
    const fired = history.find((h) => h.subject === 'al-crash' && h.state === 'firing')!;
    assert.ok(fired);
    await waitFor(() => caller('viewer').alerts.history().then((h) => (h.find((x) => x.id === fired.id)!.deliveries.filter((d) => d.status === 'sent').length === 4 ? true : undefined)), 10_000, 'deliveries recorded');
    const unread = await caller('viewer').alerts.unread();
    assert.ok(unread.count >= 1);
    await caller('viewer').alerts.markRead();
    assert.equal((await caller('viewer').alerts.unread()).count, 0);
  });

  test('oom, unhealthy, restarts, log, cpu, memory and disk each reach the webhook', async () => {
    const op = caller('operator');
    const rule = (name: string, kind: 'oom' | 'unhealthy' | 'restarts' | 'log' | 'cpu' | 'memory' | 'disk', container: string, params: Record<string, unknown> = {}) =>
      op.alerts.rules.create({ name, kind, channelIds: [webhook], scope: kind === 'disk' ? { type: 'all' } : { type: 'container', name: container }, params });
    await rule('oom', 'oom', 'al-oom');
    await rule('sick', 'unhealthy', 'al-sick');
    await rule('flapping', 'restarts', 'al-flap', { count: 2, minutes: 1 });
    await rule('fatal', 'log', 'al-log', { pattern: 'FATAL: .* fire', quietSeconds: 2 });
    // Low threshold: on a shared 2-core machine the loop gets well under its 0.5 CPU.
    await rule('hot', 'cpu', 'al-cpu', { percent: 10, seconds: 1 });
    await rule('fat', 'memory', 'al-mem', { percent: 40, seconds: 1 });
    await rule('disk', 'disk', '', { percent: 1 });
    const run = async (name: string, body: Record<string, unknown>) => {
      const c = await env.berth.createContainer({ Image: 'busybox', name, ...body });
      await c.start();
      return c;
    };
    await run('al-oom', { Cmd: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=300M', 'count=1'], HostConfig: { Memory: 64 * MB } });
    await run('al-sick', { Cmd: ['sleep', '60'], Healthcheck: { Test: ['CMD-SHELL', 'exit 1'], Interval: 100 * MS, Timeout: 2000 * MS, Retries: 1 } });
    await run('al-flap', { Cmd: ['sh', '-c', 'exit 1'], HostConfig: { RestartPolicy: { Name: 'always' } } });
    await run('al-log', { Cmd: ['sh', '-c', 'echo starting; echo "FATAL: the disk is on fire"; echo "FATAL: still on fire"; sleep 60'] });
    await run('al-cpu', { Cmd: ['sh', '-c', 'while :; do :; done'], HostConfig: { NanoCpus: 500_000_000 } });
    await run('al-mem', { Cmd: ['sh', '-c', 'dd if=/dev/zero bs=40M count=1 | sleep 60'], HostConfig: { Memory: 64 * MB } });
    await received('/hook', (x) => x.kind === 'oom' && x.subject === 'al-oom', 'oom');
    await received('/hook', (x) => x.kind === 'unhealthy' && x.subject === 'al-sick', 'unhealthy');
    await received('/hook', (x) => x.kind === 'restarts' && x.subject === 'al-flap', 'restarts');
    const log = await received('/hook', (x) => x.kind === 'log' && x.subject === 'al-log', 'log');
    assert.match(log.text, /FATAL: the disk is on fire/);
    await received('/hook', (x) => x.kind === 'cpu' && x.subject === 'al-cpu', 'cpu');
    await received('/hook', (x) => x.kind === 'memory' && x.subject === 'al-mem', 'memory');
    await received('/hook', (x) => x.kind === 'disk', 'disk');
    // De-duplicated: two matching lines, one alert; resolved after the quiet period.
    await received('/hook', (x) => x.kind === 'log' && x.state === 'resolved', 'log resolved', 15_000);
    assert.equal(bodiesAt('/hook').filter((x) => x.kind === 'log' && x.state === 'firing').length, 1);
    await env.berth.getContainer('al-flap').update({ RestartPolicy: { Name: 'no' } }).catch(() => undefined);
  });

  test('an unreachable or failing channel is retried with backoff, shown as failing, and never blocks', async () => {
    const broken = (await caller('admin').alerts.channels.create({ name: 'broken', type: 'webhook', url: `${base}/broken` })).id;
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const gone = (await caller('admin').alerts.channels.create({ name: 'gone', type: 'webhook', url: `http://127.0.0.1:${port}/x` })).id;
    const t = await caller('admin').alerts.channels.test({ id: gone });
    assert.equal(t.ok, false);
    await caller('operator').alerts.rules.create({ name: 'crash2', kind: 'died', channelIds: [broken, gone, webhook], scope: { type: 'container', name: 'al-crash2' } });
    const c = await env.berth.createContainer({ Image: 'busybox', name: 'al-crash2', Cmd: ['sh', '-c', 'exit 9'] });
    await c.start();
    await received('/hook', (x) => x.subject === 'al-crash2', 'the working channel still gets it');
    await waitFor(() => (got.filter((r) => r.path === '/broken').length >= 3 ? true : undefined), 10_000, 'three tries');
    await waitFor(
      () => caller('admin').alerts.channels.list().then((l) => (l.find((x) => x.id === broken)?.failing && l.find((x) => x.id === gone)?.failing ? true : undefined)),
      10_000,
      'marked failing',
    );
    const h = await caller('viewer').alerts.history();
    await waitFor(
      () => caller('viewer').alerts.history().then((hh) => (hh.find((e) => e.subject === 'al-crash2')!.deliveries.filter((d) => d.status === 'failed').length === 2 ? true : undefined)),
      10_000,
      'failed deliveries recorded',
    );
    assert.ok(h.length > 0);
  });

  test('rules survive a restart of the alerts engine', async () => {
    await alerts.close();
    await startAlerts();
    const c = await env.berth.createContainer({ Image: 'busybox', name: 'al-after', Labels: { 'com.docker.compose.project': 'shop' }, Cmd: ['sh', '-c', 'exit 5'] });
    await c.start();
    await received('/hook', (x) => x.kind === 'died' && x.subject === 'al-after', 'after restart');
  });

  test('log rules run on the indexer\'s batches, not on the poll; the live feed ticks for deliveries and rule changes', async () => {
    // An engine whose poll never comes: before, log rules were only checked by it.
    await alerts.close();
    alerts = new AlertEngine({ db: s.db, root: env.root, engine: env.berth, logs, pollMs: 3_600_000, backoffMs: [100] });
    s.alerts = alerts;
    await alerts.start();
    const ticks: string[] = [];
    alerts.recorded.on('recorded', (e: { state: string }) => ticks.push(e.state));
    await caller('operator').alerts.rules.create({ name: 'evented', kind: 'log', channelIds: [webhook], scope: { type: 'container', name: 'al-evented' }, params: { pattern: 'BOOM-[0-9]+' } });
    assert.ok(ticks.includes('rules'), 'a rule change ticks alerts.live');
    const c = await env.berth.createContainer({ Image: 'busybox', name: 'al-evented', Cmd: ['sh', '-c', 'sleep 0.5; echo "BOOM-42 happened"; sleep 60'] });
    await c.start();
    const b = await received('/hook', (x) => x.kind === 'log' && x.subject === 'al-evented', 'log alert without a poll', 15_000);
    assert.match(b.text, /BOOM-42/);
    await waitFor(() => (ticks.includes('delivery') ? true : undefined), 10_000, 'a delivery ticks alerts.live');
    await c.remove({ force: true });
  });
});
