// `docker update`: which resource fields change (a zero or absent field means "unchanged"), checked as
// moby daemon/update.go and verifyPlatformContainerResources do, turned into a CgroupLimits delta.
import { z } from 'zod';
import { resolveLimits } from '../cgroups/limits.js';
import type { CgroupCapabilities, CgroupLimits } from '../cgroups/types.js';
import type { UpdateOptions } from '../engine/engine.js';
import type { HostConfig } from '../engine/types.js';
import { ResourceLimitsSchema, RestartPolicySchema } from '../engine/schemas.js';
import { badParameter, conflict } from '../errors.js';

const UpdateSchema = ResourceLimitsSchema.extend({ RestartPolicy: RestartPolicySchema.optional() });

export interface UpdatePlan {
  hostConfig: HostConfig;
  /** Only what changes; applied live to a running container. */
  delta: CgroupLimits;
  limits: CgroupLimits;
  warnings: string[];
}

/** Docker's "unchanged" markers in an update body: absent, null, zero or empty. */
const isSet = (v: unknown): boolean => v !== undefined && v !== null && v !== 0 && v !== '';

const FIELDS = [
  'Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems',
  'PidsLimit', 'BlkioWeight', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps',
] as const;

export async function planUpdate(h: HostConfig, current: CgroupLimits, body: UpdateOptions, caps: CgroupCapabilities): Promise<UpdatePlan> {
  const parsed = UpdateSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw badParameter(`${i.path.join('.') || 'body'}: ${i.message}`);
  }
  const u = body;
  const next: HostConfig = { ...h };
  if (u.RestartPolicy) {
    if (h.AutoRemove && u.RestartPolicy.Name && u.RestartPolicy.Name !== 'no') {
      throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
    }
    if (u.RestartPolicy.Name !== 'on-failure' && u.RestartPolicy.MaximumRetryCount) {
      throw badParameter(`maximum retry count cannot be used with restart policy '${u.RestartPolicy.Name}'`);
    }
    next.RestartPolicy = { Name: u.RestartPolicy.Name || 'no', MaximumRetryCount: u.RestartPolicy.MaximumRetryCount ?? 0 };
  }
  if (u.Memory && h.MemorySwap > 0 && u.Memory > h.MemorySwap && !u.MemorySwap) {
    throw conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  if (u.NanoCpus && (h.CpuQuota || h.CpuPeriod) && !u.CpuQuota && !u.CpuPeriod) {
    throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period/Quota has already been set');
  }
  if ((u.CpuQuota || u.CpuPeriod) && h.NanoCpus && !u.NanoCpus) {
    throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  }
  // The check sees the memory the container will have, so "swap < memory" is judged on the result.
  const spec = {
    ...(u.Memory ? { Memory: u.Memory } : {}),
    ...(u.MemorySwap ? { MemorySwap: u.MemorySwap, Memory: u.Memory || h.Memory } : {}),
    ...Object.fromEntries(FIELDS.filter((f) => !['Memory', 'MemorySwap'].includes(f) && isSet(u[f])).map((f) => [f, u[f]])),
  };
  const { limits: delta, warnings } = await resolveLimits(spec, caps, true);
  if (u.Memory && !u.MemorySwap) delete delta.memorySwap;
  if (u.MemorySwap && !u.Memory) delete delta.memory;
  Object.assign(next, Object.fromEntries(FIELDS.flatMap((f) => (isSet(u[f]) ? [[f, u[f]]] : []))));
  if (u.NanoCpus) Object.assign(next, { CpuQuota: 0, CpuPeriod: 0 });
  const limits: CgroupLimits = { ...current, ...delta, ...(delta.blkio ? { blkio: { ...current.blkio, ...delta.blkio } } : {}) };
  return { hostConfig: next, delta, limits, warnings };
}

export { UpdateSchema };
export type UpdateBody = z.infer<typeof UpdateSchema>;
