import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { IncomingMessage } from 'node:http';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Role } from '../../../server/auth/roles.ts';
import { createTestServices, type TestServices } from '../../support/services.ts';
import {
  adminProcedure,
  createCallerFactory,
  operatorProcedure,
  protectedProcedure,
  publicProcedure,
  router,
  type Context,
} from '../../../server/api/trpc.ts';

// One procedure of each kind, built from the same builders the app's routers use.
const probeRouter = router({
  open: publicProcedure.query(() => 'open'),
  signedIn: protectedProcedure.query(() => 'signed-in'),
  operate: operatorProcedure.input(z.object({ id: z.string() })).mutation(() => 'operated'),
  administer: adminProcedure.mutation(() => 'administered'),
  explode: operatorProcedure.input(z.object({ name: z.string() })).mutation(() => {
    throw new TRPCError({ code: 'CONFLICT', message: 'name in use' });
  }),
  // Shaped like images.pull: an operator's subscription starts work as soon as it is opened.
  start: operatorProcedure.input(z.object({ ref: z.string() })).subscription(async function* ({ input }) {
    started.push(input.ref);
    yield input.ref;
  }),
  watch: protectedProcedure.subscription(async function* () {
    yield 'tick';
  }),
});
const started: string[] = [];
const createCaller = createCallerFactory(probeRouter);

let s: TestServices;
before(() => {
  s = createTestServices();
});
after(() => s.cleanup());

function ctx(role: Role | null, req: IncomingMessage | null = null): Context {
  return {
    services: s,
    req,
    res: null,
    ip: '192.0.2.7',
    audit: {},
    session: role ? { id: `sess-${role}`, expiresAt: new Date(Date.now() + 60_000), user: { id: `id-${role}`, username: `${role}-user`, role } } : null,
  };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return err instanceof TRPCError ? err.code : `unexpected ${String(err)}`;
  }
}

test('each kind of procedure admits exactly the roles it should', async () => {
  const table: Array<[Role | null, Record<string, string>]> = [
    [null, { open: 'OK', signedIn: 'UNAUTHORIZED', operate: 'UNAUTHORIZED', administer: 'UNAUTHORIZED' }],
    ['viewer', { open: 'OK', signedIn: 'OK', operate: 'FORBIDDEN', administer: 'FORBIDDEN' }],
    ['operator', { open: 'OK', signedIn: 'OK', operate: 'OK', administer: 'FORBIDDEN' }],
    ['admin', { open: 'OK', signedIn: 'OK', operate: 'OK', administer: 'OK' }],
  ];
  for (const [role, expected] of table) {
    const caller = createCaller(ctx(role));
    const got = {
      open: await code(caller.open()),
      signedIn: await code(caller.signedIn()),
      operate: await code(caller.operate({ id: 'c1' })),
      administer: await code(caller.administer()),
    };
    assert.deepEqual(got, expected, `role ${role ?? 'anonymous'}`);
  }
});

test('every mutation is audited with actor, action, target, result and client IP', async () => {
  await s.db.auditLog.deleteMany();
  await createCaller(ctx('operator')).operate({ id: 'c1' });
  await code(createCaller(ctx('viewer')).operate({ id: 'c2' }));
  await code(createCaller(ctx(null)).administer());
  await code(createCaller(ctx('admin')).explode({ name: 'web' }));
  await createCaller(ctx('admin')).open(); // queries are not audited
  const rows = await s.db.auditLog.findMany({ orderBy: { id: 'asc' } });
  assert.deepEqual(
    rows.map((r) => [r.actorType, r.actorName, r.action, r.target, r.result, r.ip]),
    [
      ['user', 'operator-user', 'operate', 'c1', 'success', '192.0.2.7'],
      ['user', 'viewer-user', 'operate', 'c2', 'denied', '192.0.2.7'],
      ['anonymous', 'anonymous', 'administer', null, 'denied', '192.0.2.7'],
      ['user', 'admin-user', 'explode', 'web', 'failure', '192.0.2.7'],
    ],
  );
  assert.equal(rows[3]?.error, 'name in use');
  assert.ok(rows.every((r) => r.at instanceof Date));
});

test('a state-changing subscription refuses a cross-origin request even past the HTTP handler, and audits refusals', async () => {
  await s.db.auditLog.deleteMany();
  started.length = 0;
  const req = (headers: Record<string, string>) => ({ headers: { host: '127.0.0.1:3000', ...headers }, socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;
  const open = async (c: Context, ref: string) => {
    for await (const x of await createCaller(c).start({ ref })) void x;
  };
  assert.equal(await code(open(ctx('operator', req({ origin: 'http://127.0.0.1:8080' })), 'xsite')), 'FORBIDDEN');
  assert.equal(await code(open(ctx('viewer', req({})), 'viewer')), 'FORBIDDEN');
  assert.equal(await code(open(ctx('operator', req({ 'sec-fetch-site': 'same-origin' })), 'ok')), 'OK');
  // Read-only subscriptions are neither gated by role nor audited.
  assert.equal(await code((async () => { for await (const x of await createCaller(ctx('viewer', req({}))).watch()) void x; })()), 'OK');
  assert.deepEqual(started, ['ok']);
  const rows = await s.db.auditLog.findMany({ orderBy: { id: 'asc' } });
  assert.deepEqual(
    rows.map((r) => [r.actorName, r.action, r.target, r.result]),
    [
      ['operator-user', 'start', 'xsite', 'denied'],
      ['viewer-user', 'start', 'viewer', 'denied'],
    ],
  );
  assert.match(rows[0]!.error ?? '', /Cross-origin/);
});
