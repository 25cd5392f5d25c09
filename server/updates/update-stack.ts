// Update a stack's images: service by service, one replica at a time, each through the same health gate
// and rollback as a single container. Each image is pulled once; the first replica that rolls back or
// fails stops the rest, so a bad image never takes a whole service down.
import type { Engine } from '@berth/runtime/engine';
import { pullImage, updateContainer, type UpdateOptions, type UpdateOutcome } from './update-container.ts';

export const PROJECT = 'com.docker.compose.project';
const SERVICE = 'com.docker.compose.service';
const NUMBER = 'com.docker.compose.container-number';

export interface StackUpdateResult {
  stack: string;
  outcomes: UpdateOutcome[];
  /** Pull failures, by image. */
  pullErrors: { image: string; reason: string }[];
  stopped: string | null;
}

export async function updateStack(engine: Engine, stack: string, opts: UpdateOptions & { onOutcome?: (o: UpdateOutcome) => Promise<void> | void } = {}): Promise<StackUpdateResult> {
  const list = await engine.listContainers({ all: true, filters: { label: [`${PROJECT}=${stack}`] } });
  const order = list
    .filter((c) => c.Labels?.[PROJECT] === stack)
    .sort((a, b) => (a.Labels[SERVICE] ?? '').localeCompare(b.Labels[SERVICE] ?? '') || Number(a.Labels[NUMBER] ?? 0) - Number(b.Labels[NUMBER] ?? 0));
  const result: StackUpdateResult = { stack, outcomes: [], pullErrors: [], stopped: null };
  const pulled = new Map<string, string | null>();
  for (const c of order) {
    const image = c.Image;
    if (!pulled.has(image)) {
      opts.onProgress?.(`pulling ${image}`);
      pulled.set(image, await pullImage(engine, image, opts.authconfig).then(() => null, (e: unknown) => (e instanceof Error ? e.message : String(e))));
      const err = pulled.get(image);
      if (err) result.pullErrors.push({ image, reason: err });
    }
    if (pulled.get(image)) continue; // nothing to update to; the others may still go ahead
    const o = await updateContainer(engine, c.Id, { ...opts, pulled: true });
    result.outcomes.push(o);
    await opts.onOutcome?.(o);
    if (o.status === 'rolled-back' || o.status === 'failed') {
      result.stopped = `${o.name}: ${o.reason}`;
      break;
    }
  }
  return result;
}
