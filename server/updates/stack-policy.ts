// A stack's update policy set in the dashboard (the StackUpdatePolicy table), beside the per-container
// label. Precedence: the container's `berth.update` label, then its stack's setting, then `notify`.
import { z } from 'zod';
import type { Db } from '../db/client.ts';

export const POLICIES = ['auto', 'notify', 'off'] as const;
export const policySchema = z.enum(POLICIES);
export type Policy = z.infer<typeof policySchema>;

/** Every stack with a setting on an endpoint: stack name → policy. */
export async function stackPolicies(db: Db, endpointId: string): Promise<Map<string, Policy>> {
  const rows = await db.stackUpdatePolicy.findMany({ where: { endpointId } });
  const out = new Map<string, Policy>();
  for (const r of rows) {
    const p = policySchema.safeParse(r.policy);
    if (p.success) out.set(r.stack, p.data);
  }
  return out;
}

/** Sets a stack's policy, or (null) removes the setting so the default applies again. */
export async function setStackPolicy(db: Db, endpointId: string, stack: string, policy: Policy | null): Promise<void> {
  if (policy === null) {
    await db.stackUpdatePolicy.deleteMany({ where: { endpointId, stack } });
    return;
  }
  await db.stackUpdatePolicy.upsert({ where: { endpointId_stack: { endpointId, stack } }, create: { endpointId, stack, policy }, update: { policy } });
}
