import type { Db } from '../db/client.ts';

/** Who did something: a dashboard user, or a named part of Berth itself (`engine-api`, `system`). */
export type AuditActor =
  | { type: 'user'; id: string; name: string }
  | { type: 'system'; name: string }
  | { type: 'anonymous'; name: string };

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  target?: string | null;
  result: 'success' | 'failure' | 'denied';
  error?: string | null;
  ip?: string | null;
  at?: Date;
}

export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.auditLog.create({
    data: {
      at: entry.at ?? new Date(),
      actorType: entry.actor.type,
      actorId: entry.actor.type === 'user' ? entry.actor.id : null,
      actorName: entry.actor.name,
      action: entry.action,
      target: entry.target?.slice(0, 500) ?? null,
      result: entry.result,
      error: entry.error?.slice(0, 2000) ?? null,
      ip: entry.ip ?? null,
    },
  });
}

/** Input keys that name what a mutation acts on. Never anything secret. */
const TARGET_KEYS = ['id', 'username', 'name', 'ref', 'image', 'target'] as const;

export function auditTargetFromInput(input: unknown): string | null {
  if (!input || typeof input !== 'object') return null;
  const record = input as Record<string, unknown>;
  for (const key of TARGET_KEYS) {
    const v = record[key];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  const ids = record.ids;
  if (Array.isArray(ids) && ids.every((x) => typeof x === 'string')) return ids.join(',');
  return null;
}
