// Creating a privileged container from the dashboard needs the admin role (issue 16, item 10); the
// check comes before the engine is reached, so an operator's request changes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Role } from '../../../../../server/auth/roles.ts';
import { createTestServices, type TestServices } from '../../../../support/services.ts';
import { createCallerFactory, type Context } from '../../../../../server/api/trpc.ts';
import { containersRouter } from '../../../../../server/api/routers/containers/router.ts';

const createCaller = createCallerFactory(containersRouter);
let s: TestServices;
before(() => {
  s = createTestServices();
});
after(() => s.cleanup());

const ctx = (role: Role): Context => ({
  services: s,
  req: null,
  res: null,
  ip: '192.0.2.11',
  audit: {},
  session: { id: `sess-${role}`, expiresAt: new Date(Date.now() + 60_000), user: { id: `id-${role}`, username: `${role}-user`, role } },
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return (err as { code?: string }).code ?? 'ERROR';
  }
}

test('privileged create and recreate: FORBIDDEN for an operator, past the role check for an admin', async () => {
  const form = { image: 'busybox', privileged: true, start: false };
  assert.equal(await code(createCaller(ctx('operator')).create(form)), 'FORBIDDEN');
  assert.equal(await code(createCaller(ctx('operator')).recreate({ id: 'abc', form })), 'FORBIDDEN');
  // This test has no engine: getting as far as asking for it means the role check let the call through.
  assert.notEqual(await code(createCaller(ctx('admin')).create(form)), 'FORBIDDEN');
  assert.notEqual(await code(createCaller(ctx('operator')).create({ ...form, privileged: false })), 'FORBIDDEN');
});

test('--device from the dashboard: FORBIDDEN for an operator (as privileged), past the role check for an admin', async () => {
  const form = { image: 'busybox', devices: ['/dev/fuse'], start: false };
  assert.equal(await code(createCaller(ctx('operator')).create(form)), 'FORBIDDEN');
  assert.equal(await code(createCaller(ctx('operator')).recreate({ id: 'abc', form })), 'FORBIDDEN');
  assert.notEqual(await code(createCaller(ctx('admin')).create(form)), 'FORBIDDEN');
  // A malformed entry is a field error, before any role or engine question.
  assert.equal(await code(createCaller(ctx('admin')).create({ ...form, devices: ['dev/fuse'] })), 'BAD_REQUEST');
});
