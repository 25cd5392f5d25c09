import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestServices, type TestServices } from '../../support/services.ts';
import {
  createSession,
  hashToken,
  purgeExpiredSessions,
  resolveSession,
  revokeSession,
  revokeUserSessions,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
} from '../../../server/auth/sessions.ts';

let s: TestServices;
before(async () => {
  s = createTestServices();
  await s.db.user.create({ data: { id: 'u1', username: 'alice', passwordHash: 'x', role: 'operator' } });
});
after(() => s.cleanup());

test('a session token is 256 random bits and only its hash is stored', async () => {
  const { token } = await createSession(s.db, 'u1', { ip: '127.0.0.1' });
  assert.equal(Buffer.from(token, 'base64url').length, 32);
  const rows = await s.db.session.findMany();
  assert.ok(rows.every((r) => r.tokenHash !== token));
  assert.ok(rows.some((r) => r.tokenHash === hashToken(token)));
  const found = await resolveSession(s.db, token);
  assert.equal(found?.user.username, 'alice');
  assert.equal(found?.user.role, 'operator');
});

test('an unknown or oversized token resolves to nothing', async () => {
  assert.equal(await resolveSession(s.db, 'nope'), null);
  assert.equal(await resolveSession(s.db, undefined), null);
  assert.equal(await resolveSession(s.db, 'x'.repeat(500)), null);
});

test('sessions expire after the idle timeout and are deleted', async () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const { token } = await createSession(s.db, 'u1', {}, t0);
  assert.ok(await resolveSession(s.db, token, new Date(t0.getTime() + SESSION_IDLE_MS - 1000)));
  // Resolving slid the expiry forward; a full idle period after that it is gone.
  const later = new Date(t0.getTime() + 2 * SESSION_IDLE_MS + 1000);
  assert.equal(await resolveSession(s.db, token, later), null);
  assert.equal(await s.db.session.count({ where: { tokenHash: hashToken(token) } }), 0);
});

test('activity cannot extend a session past its absolute lifetime', async () => {
  const t0 = new Date('2026-02-01T00:00:00Z');
  const { token } = await createSession(s.db, 'u1', {}, t0);
  for (let t = t0.getTime(); t < t0.getTime() + SESSION_MAX_MS; t += SESSION_IDLE_MS / 2) {
    assert.ok(await resolveSession(s.db, token, new Date(t)), `alive at +${(t - t0.getTime()) / 3600000} h`);
  }
  assert.equal(await resolveSession(s.db, token, new Date(t0.getTime() + SESSION_MAX_MS + 1)), null);
});

test('revoking one session, and all of a user, takes effect at once', async () => {
  const a = await createSession(s.db, 'u1', {});
  const b = await createSession(s.db, 'u1', {});
  const sa = await resolveSession(s.db, a.token);
  assert.ok(sa);
  await revokeSession(s.db, sa.id);
  assert.equal(await resolveSession(s.db, a.token), null);
  assert.ok(await resolveSession(s.db, b.token));
  await revokeUserSessions(s.db, 'u1');
  assert.equal(await resolveSession(s.db, b.token), null);
});

test('purge removes expired rows only', async () => {
  await createSession(s.db, 'u1', {}, new Date(Date.now() - 2 * SESSION_IDLE_MS));
  const live = await createSession(s.db, 'u1', {});
  assert.ok((await purgeExpiredSessions(s.db)) >= 1);
  assert.ok(await resolveSession(s.db, live.token));
});
