// API tokens: long-lived Bearer credentials for scripts. Like sessions, only a SHA-256 of the
// 256-bit secret is stored, so a copy of the database grants nothing.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { liveCredentials } from './live-credentials.ts';
import { hasRole, isRole, type Role } from './roles.ts';
import { hashToken, type ActiveSession } from './sessions.ts';

/** The prefix makes a leaked token recognisable to secret scanners and to people. */
export const TOKEN_PREFIX = 'berth_';
export const MAX_TOKEN_DAYS = 366;

/** A session resolved from a request; `token` is set when an API token, not a cookie, authenticated it. */
export interface RequestSession extends ActiveSession {
  /** `role` is the token's own; `ownerRole` the owner's global role. */
  token?: { id: string; name: string; role: string; ownerRole: string };
}

export interface TokenSummary {
  id: string;
  name: string;
  role: string;
  userId: string;
  username: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
}

export type CreateTokenResult = { ok: true; token: string; summary: TokenSummary } | { ok: false; code: 'FORBIDDEN' | 'CONFLICT'; message: string };

/** Creates a token for `owner`; its role may not exceed the owner's. The raw token is returned once. */
export async function createApiToken(
  db: Db,
  owner: { id: string; username: string; role: string },
  input: { name: string; role: Role; expiresInDays: number },
  now = new Date(),
): Promise<CreateTokenResult> {
  if (!hasRole(owner.role, input.role)) {
    return { ok: false, code: 'FORBIDDEN', message: `A token cannot have more than your own role (${owner.role}); asked for ${input.role}.` };
  }
  if (await db.apiToken.findUnique({ where: { userId_name: { userId: owner.id, name: input.name } } })) {
    return { ok: false, code: 'CONFLICT', message: `You already have a token named ${input.name}.` };
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const row = await db.apiToken.create({
    data: {
      id: randomUUID(),
      tokenHash: hashToken(token),
      name: input.name,
      role: input.role,
      userId: owner.id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + input.expiresInDays * 24 * 60 * 60 * 1000),
    },
  });
  return { ok: true, token, summary: { ...summaryFields(row), username: owner.username } };
}

function summaryFields(row: { id: string; name: string; role: string; userId: string; createdAt: Date; expiresAt: Date; lastUsedAt: Date | null; lastUsedIp: string | null }) {
  const { id, name, role, userId, createdAt, expiresAt, lastUsedAt, lastUsedIp } = row;
  return { id, name, role, userId, createdAt, expiresAt, lastUsedAt, lastUsedIp };
}

/** Tokens of one user, or of everyone when `userId` is null (admins). Never the secret or its hash. */
export async function listApiTokens(db: Db, userId: string | null): Promise<TokenSummary[]> {
  const rows = await db.apiToken.findMany({
    where: userId === null ? {} : { userId },
    include: { user: { select: { username: true } } },
    orderBy: { createdAt: 'desc' },
  });
  return rows.map((r) => ({ ...summaryFields(r), username: r.user.username }));
}

/** Deletes a token; `ownerId` null lets an admin revoke anyone's. Answers the revoked token, or null. */
export async function revokeApiToken(db: Db, id: string, ownerId: string | null): Promise<TokenSummary | null> {
  const row = await db.apiToken.findUnique({ where: { id }, include: { user: { select: { username: true } } } });
  if (!row || (ownerId !== null && row.userId !== ownerId)) return null;
  await db.apiToken.deleteMany({ where: { id } });
  liveCredentials.cutCredential(`token:${id}`, 'token revoked');
  return { ...summaryFields(row), username: row.user.username };
}

export type TokenVerdict = { ok: true; session: RequestSession } | { ok: false; reason: string; tokenName?: string; user?: { id: string; username: string } };

/**
 * Resolves a raw token. The effective role is the lower of the token's and the owner's current role,
 * so demoting a user demotes their tokens too. Records the last use.
 */
export async function resolveApiToken(db: Db, token: string, ip: string | null, now = new Date()): Promise<TokenVerdict> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return { ok: false, reason: 'not a Berth API token' };
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!row) return { ok: false, reason: 'unknown or revoked API token' };
  const who = { tokenName: row.name, user: { id: row.user.id, username: row.user.username } };
  if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: `API token ${row.name} expired on ${row.expiresAt.toISOString()}`, ...who };
  const tokenRole = isRole(row.role) ? row.role : 'viewer';
  const role = hasRole(row.user.role, tokenRole) ? tokenRole : row.user.role;
  await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now, lastUsedIp: ip } }).catch(() => undefined);
  return {
    ok: true,
    session: {
      id: `token:${row.id}`,
      expiresAt: row.expiresAt,
      user: { id: row.user.id, username: row.user.username, role },
      token: { id: row.id, name: row.name, role: tokenRole, ownerRole: row.user.role },
    },
  };
}

export async function purgeExpiredTokens(db: Db, now = new Date()): Promise<number> {
  const { count } = await db.apiToken.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}
