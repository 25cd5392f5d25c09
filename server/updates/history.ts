// The update history (the ImageUpdate table): one row per container update, whatever its outcome.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import type { UpdateOutcome } from './update-container.ts';

export interface HistoryEntry extends UpdateOutcome {
  id: string;
  endpointId: string;
  trigger: string;
  actor: string | null;
  startedAt: Date;
  finishedAt: Date;
}

export async function recordUpdate(db: Db, o: UpdateOutcome, meta: { endpointId: string; trigger: string; actor: string | null; startedAt: Date }): Promise<void> {
  await db.imageUpdate.create({
    data: {
      id: randomUUID(),
      endpointId: meta.endpointId,
      containerId: o.containerId,
      name: o.name,
      image: o.image,
      fromImageId: o.fromImageId,
      toImageId: o.toImageId,
      currentId: o.currentId,
      status: o.status,
      reason: o.reason,
      trigger: meta.trigger,
      actor: meta.actor,
      startedAt: meta.startedAt,
    },
  });
}

export async function listHistory(db: Db, opts: { endpointId?: string; take?: number } = {}) {
  return db.imageUpdate.findMany({
    where: opts.endpointId ? { endpointId: opts.endpointId } : {},
    orderBy: { finishedAt: 'desc' },
    take: opts.take ?? 100,
  });
}
