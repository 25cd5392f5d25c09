import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { liveCredentials } from './live-credentials.ts';

export const SESSION_COOKIE = 'berth_session';
/** Idle timeout: a session unused this long expires. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Absolute lifetime, however active the session is. */
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
/** Sliding expiry is written back at most this often, to keep reads cheap. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface SessionUser {
  id: string;
  username: string;
  role: string;
}

export interface ActiveSession {
  id: string;
  user: SessionUser;
  expiresAt: Date;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Creates a session and returns the raw 256-bit token; only its hash is stored. */
export async function createSession(
  db: Db,
  userId: string,
  meta: { ip?: string | null; userAgent?: string | null },
  now = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS);
  await db.session.create({
    data: {
      id: randomUUID(),
      tokenHash: hashToken(token),
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    },
  });
  return { token, expiresAt };
}

/** Looks a token up; expired sessions are deleted and yield null. Slides the idle expiry forward. */
export async function resolveSession(db: Db, token: string | undefined, now = new Date()): Promise<ActiveSession | null> {
  if (!token || token.length > 100) return null;
  const row = await db.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!row) return null;
  const hardLimit = row.createdAt.getTime() + SESSION_MAX_MS;
  if (row.expiresAt.getTime() <= now.getTime() || hardLimit <= now.getTime()) {
    await db.session.delete({ where: { id: row.id } }).catch(() => undefined);
    return null;
  }
  let expiresAt = row.expiresAt;
  if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    expiresAt = new Date(Math.min(now.getTime() + SESSION_IDLE_MS, hardLimit));
    await db.session.update({ where: { id: row.id }, data: { lastSeenAt: now, expiresAt } }).catch(() => undefined);
  }
  return { id: row.id, expiresAt, user: { id: row.user.id, username: row.user.username, role: row.user.role } };
}

/** Deletes the session and ends its open websockets and subscriptions in this process at once. */
export async function revokeSession(db: Db, sessionId: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionId } });
  liveCredentials.cutCredential(sessionId, 'session revoked');
}

export async function revokeUserSessions(db: Db, userId: string): Promise<void> {
  await db.session.deleteMany({ where: { userId } });
  liveCredentials.cutUser(userId, 'session revoked', false);
}

export async function purgeExpiredSessions(db: Db, now = new Date()): Promise<number> {
  const { count } = await db.session.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}
