// Update one container to the newest image of its tag: pull, recreate with the same configuration under
// the same name, start, health-gate, and roll back when the new one does not prove itself. The old
// container is only moved aside (renamed, stopped) until then, so a rollback restarts exactly the old
// container on the old image; volumes are never removed.
import type { AuthConfig, Engine } from '@berth/runtime/engine';
import { ndjson } from '../engine/streams.ts';
import { healthGate, type GateOptions } from './health-gate.ts';
import { recreateBody } from './recreate-spec.ts';

export type UpdateStatus = 'updated' | 'up-to-date' | 'rolled-back' | 'failed';

export interface UpdateOutcome {
  containerId: string;
  name: string;
  image: string;
  fromImageId: string;
  toImageId: string | null;
  /** The container now running under the name (the new one, or the old one after a rollback). */
  currentId: string;
  status: UpdateStatus;
  reason: string | null;
  prunedOldImage: boolean;
}

export interface UpdateOptions {
  authconfig?: AuthConfig;
  gate?: GateOptions;
  /** Remove the old image after a success (when nothing else uses it). */
  prune?: boolean;
  /** Skip the pull (a stack update pulls each image once). */
  pulled?: boolean;
  onProgress?: (step: string) => void;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function pullImage(engine: Engine, ref: string, authconfig?: AuthConfig): Promise<void> {
  const stream = await engine.pull(ref, authconfig ? { authconfig } : {});
  for await (const line of ndjson<{ error?: string; errorDetail?: { message?: string } }>(stream)) {
    if (line.error || line.errorDetail) throw new Error(line.errorDetail?.message ?? line.error);
  }
}

export async function updateContainer(engine: Engine, id: string, opts: UpdateOptions = {}): Promise<UpdateOutcome> {
  const say = opts.onProgress ?? (() => undefined);
  const before = await engine.getContainer(id).inspect();
  const name = before.Name.replace(/^\//, '');
  const ref = before.Config.Image;
  const out: UpdateOutcome = { containerId: before.Id, name, image: ref, fromImageId: before.Image, toImageId: null, currentId: before.Id, status: 'failed', reason: null, prunedOldImage: false };
  if (ref.includes('@') || /^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) return { ...out, reason: `the container runs ${ref}, which is pinned, not a tag` };

  if (!opts.pulled) {
    say(`pulling ${ref}`);
    try {
      await pullImage(engine, ref, opts.authconfig);
    } catch (e) {
      return { ...out, reason: `pull failed: ${message(e)}` };
    }
  }
  const next = await engine.getImage(ref).inspect();
  out.toImageId = next.Id;
  if (next.Id === before.Image) return { ...out, status: 'up-to-date' };
  const oldImage = await engine.getImage(before.Image).inspect().catch(() => null);
  const body = recreateBody(before, oldImage, ref);

  const old = engine.getContainer(before.Id);
  const wasRunning = before.State.Running;
  say(`stopping ${name}`);
  if (wasRunning) await old.stop();
  const aside = `${name}_berth-update-${before.Id.slice(0, 12)}`;
  await old.rename({ name: aside });

  let newId: string | null = null;
  let reason: string;
  try {
    say(`creating ${name} on ${next.Id.slice(7, 19)}`);
    newId = (await engine.createContainer(body)).id;
    say(`starting ${name}`);
    await engine.getContainer(newId).start();
    say(`waiting for ${name} to be healthy`);
    const gate = await healthGate(engine, newId, opts.gate);
    if (gate.ok) {
      say(`${name} is ${gate.how}; removing the old container`);
      // Without v: the volumes now belong to the new container.
      await old.remove({ force: true }).catch(() => undefined);
      if (opts.prune) out.prunedOldImage = await pruneImage(engine, before.Image);
      return { ...out, currentId: newId, status: 'updated' };
    }
    reason = gate.reason;
  } catch (e) {
    reason = message(e);
  }
  say(`rolling back ${name}: ${reason}`);
  if (newId) await engine.getContainer(newId).remove({ force: true }).catch(() => undefined);
  try {
    await old.rename({ name });
    if (wasRunning) await old.start();
  } catch (e) {
    return { ...out, status: 'failed', reason: `${reason}; and the rollback failed: ${message(e)}` };
  }
  return { ...out, status: 'rolled-back', reason };
}

/** Removes an image nothing uses any more. Forced, as Watchtower's cleanup is, because a pulled image keeps
 * digest references (one per repository it came from) that a plain rmi by ID refuses to drop. */
async function pruneImage(engine: Engine, imageId: string): Promise<boolean> {
  const users = await engine.listContainers({ all: true }).catch(() => null);
  if (!users || users.some((c) => c.ImageID === imageId)) return false;
  // Still tagged (someone kept it as app:previous, say): not ours to remove.
  const tags = ((await engine.getImage(imageId).inspect().catch(() => null))?.RepoTags ?? ['?']).filter((t) => t !== '<none>:<none>');
  if (tags.length) return false;
  return engine
    .getImage(imageId)
    .remove({ force: true })
    .then(() => true, () => false);
}
