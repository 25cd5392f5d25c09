// Recreate a container from edited settings under the same name, as `docker compose up` does for a
// changed service: stop the old one, move it aside under a temporary name, create the new one, and
// only then remove the old. If the new one cannot be created the old one gets its name back (and is
// started again if it ran). Anonymous volumes follow the container, so its data survives the edit.
import type { ContainerCreateBody, Engine } from '@berth/runtime/engine';
import { anonymousVolumes } from './form-of.ts';

export interface RecreateResult {
  id: string;
  started: boolean;
  error: string | null;
}

export async function recreateContainer(engine: Engine, id: string, body: ContainerCreateBody, start: boolean): Promise<RecreateResult> {
  const old = engine.getContainer(id);
  const before = await old.inspect();
  const name = before.Name.replace(/^\//, '');
  const wasRunning = before.State.Running;
  // The old container's anonymous volumes, mounted where the form does not put anything else.
  const taken = new Set((body.HostConfig?.Binds ?? []).map((b) => b.split(':')[1]));
  const carried = anonymousVolumes(before).filter((v) => !taken.has(v.target));
  const next: ContainerCreateBody = {
    ...body,
    name,
    HostConfig: { ...body.HostConfig, Binds: [...(body.HostConfig?.Binds ?? []), ...carried.map((v) => `${v.name}:${v.target}`)] },
  };
  if (!next.HostConfig!.Binds!.length) delete next.HostConfig!.Binds;

  if (wasRunning) await old.stop();
  const aside = `${name}_berth-old-${before.Id.slice(0, 12)}`;
  // A --rm container is gone once stopped: nothing to move aside (or to restore).
  const gone = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;
  const movedAside = await old.rename({ name: aside }).then(
    () => true,
    (err: unknown) => {
      if (gone(err)) return false;
      throw err;
    },
  );
  let created: { id: string };
  try {
    created = await engine.createContainer(next);
  } catch (err) {
    if (movedAside) {
      await old.rename({ name });
      if (wasRunning) await old.start().catch(() => undefined);
    }
    throw err;
  }
  // The volumes now belong to the new container too, so removing the old one (without -v) keeps them.
  if (movedAside) await old.remove({ force: true }).catch((err: unknown) => (gone(err) ? undefined : Promise.reject(err)));
  if (!start) return { id: created.id, started: false, error: null };
  try {
    await engine.getContainer(created.id).start();
    return { id: created.id, started: true, error: null };
  } catch (err) {
    return { id: created.id, started: false, error: (err as Error).message ?? String(err) };
  }
}
