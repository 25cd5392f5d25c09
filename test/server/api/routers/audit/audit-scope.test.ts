import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Role } from '../../../../../server/auth/roles.ts';
import { writeAudit } from '../../../../../server/audit/audit-log.ts';
import { createTestServices, type TestServices } from '../../../../support/services.ts';
import { createCallerFactory, type Context } from '../../../../../server/api/trpc.ts';
import { auditRouter } from '../../../../../server/api/routers/audit/router.ts';

const createCaller = createCallerFactory(auditRouter);
let s: TestServices;
before(() => {
  s = createTestServices();
});
after(() => s.cleanup());

const ctx = (role: Role, id: string): Context => ({
  services: s,
  req: null,
  res: null,
  ip: '192.0.2.9',
  audit: {},
  session: { id: `sess-${id}`, expiresAt: new Date(Date.now() + 60_000), user: { id, username: `${id}-name`, role } },
});

test('admins read every audit entry; operators and viewers only their own', async () => {
  await s.db.auditLog.deleteMany();
  for (const [id, action] of [['u-admin', 'users.create'], ['u-op', 'containers.start'], ['u-view', 'auth.logout']] as const) {
    await writeAudit(s.db, { actor: { type: 'user', id, name: `${id}-name` }, action, result: 'success', ip: '192.0.2.1' });
  }
  await writeAudit(s.db, { actor: { type: 'system', name: 'engine-api' }, action: 'containers.create', result: 'success' });
  const actions = async (role: Role, id: string) => (await createCaller(ctx(role, id)).list({})).items.map((r) => r.action).sort();
  assert.deepEqual(await actions('admin', 'u-admin'), ['auth.logout', 'containers.create', 'containers.start', 'users.create']);
  assert.deepEqual(await actions('operator', 'u-op'), ['containers.start']);
  assert.deepEqual(await actions('viewer', 'u-view'), ['auth.logout']);
  // A filter naming someone else finds nothing rather than their entries.
  assert.deepEqual((await createCaller(ctx('viewer', 'u-view')).list({ actor: 'u-admin' })).items, []);
});
