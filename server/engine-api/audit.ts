// Every mutating Engine API call is written to the audit log as the `engine-api` actor. The API has no
// users: whoever can open the socket is root-equivalent, so the row records what was done, not by whom.
import type { Db } from '../db/client.ts';
import { writeAudit, type AuditActor } from '../audit/audit-log.ts';

export const ENGINE_API_ACTOR: AuditActor = { type: 'system', name: 'engine-api' };

export interface EngineApiAuditEntry {
  action: string;
  target: string | null;
  result: 'success' | 'failure';
  error: string | null;
  ip: string | null;
}

export type AuditSink = (entry: EngineApiAuditEntry) => Promise<void>;

export function dbAuditSink(db: Db): AuditSink {
  return (e) => writeAudit(db, { actor: ENGINE_API_ACTOR, ...e });
}
