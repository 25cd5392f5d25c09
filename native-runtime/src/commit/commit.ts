// `docker commit`: a container's writable layer (its snapshot's upper dir, without the runtime's own
// mount targets) becomes one more layer on top of the container's image. The new image's config is
// the request's config (or the container's), with `changes` applied and empty fields filled from the
// container's config, as moby's CreateImageFromContainer merges them. History records the
// container's Cmd, the comment and the author.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { removeRuntimeArtifacts, runtimeArtifacts } from '../builder/executor/mountpoints.js';
import { createStepImage } from '../builder/executor/image.js';
import { LAYER_GZIP_LEVEL } from '../builder/executor/layer.js';
import type { ContainerManager } from '../containers/manager.js';
import type { CommitOptions } from '../engine/engine.js';
import { badParameter, conflict, EngineError, noSuchImage } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { applyChanges } from '../images/changes.js';
import { ImageError } from '../images/errors.js';
import type { ImageStores } from '../images/open.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../images/reference.js';
import { normalizeContainerConfig, type ContainerConfig } from '../images/types.js';
import { diffDirectory } from '../layers/diff.js';
import { writeLayer } from '../layers/write.js';
import { unpackImage } from '../snapshots/unpack.js';
import { upperView, type UpperView } from '../snapshots/upper-view.js';
import { INIT_LAYER_DIR } from '../containers/init-layer.js';
import { diskUsage } from '../util/du.js';
import { withoutEntries } from './filter.js';
import { toContainer } from '../userns/tar-ids.js';
import { z } from 'zod';

export interface CommitDeps {
  stores: ImageStores;
  containers: ContainerManager;
  events: EventBus;
}

const CommitOptionsSchema = z
  .object({
    repo: z.string().optional(),
    tag: z.string().optional(),
    comment: z.string().optional(),
    author: z.string().optional(),
    pause: z.preprocess((v) => (typeof v === 'string' ? v === '1' || v.toLowerCase() === 'true' : v), z.boolean().optional()),
    changes: z.union([z.string(), z.array(z.string())]).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

/** Fills the fields the user left empty from the container's config (moby's merge). */
function merge(user: ContainerConfig, from: ContainerConfig): ContainerConfig {
  const out = { ...user };
  if (!out.User) out.User = from.User;
  if (!out.ExposedPorts || !Object.keys(out.ExposedPorts).length) {
    if (from.ExposedPorts) out.ExposedPorts = from.ExposedPorts;
  } else if (from.ExposedPorts) out.ExposedPorts = { ...from.ExposedPorts, ...out.ExposedPorts };
  if (!out.Env || !out.Env.length) out.Env = from.Env;
  else {
    const keys = new Set(out.Env.map((e) => e.split('=')[0]));
    out.Env = [...out.Env, ...(from.Env ?? []).filter((e) => !keys.has(e.split('=')[0]))];
  }
  if (!out.Labels || !Object.keys(out.Labels).length) out.Labels = from.Labels;
  if ((!out.Entrypoint || !out.Entrypoint.length) && (!out.Cmd || !out.Cmd.length)) out.Cmd = from.Cmd;
  if (!out.Entrypoint || !out.Entrypoint.length) out.Entrypoint = from.Entrypoint;
  if (!out.WorkingDir) out.WorkingDir = from.WorkingDir;
  if (!out.Volumes || !Object.keys(out.Volumes).length) out.Volumes = from.Volumes;
  if (!out.StopSignal && from.StopSignal) out.StopSignal = from.StopSignal;
  if (!out.Healthcheck && from.Healthcheck) out.Healthcheck = from.Healthcheck;
  if (!out.OnBuild || !out.OnBuild.length) out.OnBuild = from.OnBuild;
  return out;
}

function changeLines(c: string | string[] | undefined): string[] {
  if (c === undefined) return [];
  return (Array.isArray(c) ? c : [c]).flatMap((s) => s.split('\n')).filter((s) => s.trim() !== '');
}

export async function commitContainer(deps: CommitDeps, idOrName: string, options: CommitOptions = {}): Promise<{ Id: string }> {
  const parsed = CommitOptionsSchema.safeParse(options);
  if (!parsed.success) throw badParameter(`${parsed.error.issues[0]!.path.join('.') || 'options'}: ${parsed.error.issues[0]!.message}`);
  const opts = parsed.data;
  const info = await deps.containers.inspect(idOrName);
  const rec = deps.containers.all().find((r) => r.cfg.id === info.Id);
  if (!rec) throw conflict(`container ${idOrName} went away`);
  const id = rec.cfg.id;

  let ref: string | undefined;
  if (opts.repo) {
    try {
      ref = familiarString(withDefaultTag(parseNormalizedNamed(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo)));
    } catch (e) {
      throw badParameter((e as Error).message);
    }
  } else if (opts.tag) throw badParameter('tag is specified without a repository');

  const containerConfig = normalizeContainerConfig(rec.cfg.config);
  let config: ContainerConfig;
  try {
    const base = opts.config ? normalizeContainerConfig(opts.config as Partial<ContainerConfig>) : containerConfig;
    config = merge(applyChanges(base, changeLines(opts.changes)), containerConfig);
  } catch (e) {
    if (e instanceof ImageError) throw badParameter(e.message);
    throw e;
  }

  const parent = await deps.stores.images.find(rec.cfg.imageId);
  if (!parent) throw noSuchImage(rec.cfg.imageId);
  const parentConfig = await deps.stores.images.config(parent);

  const running = rec.state.status === 'running';
  const pause = running && opts.pause !== false;
  if (pause) await deps.containers.pause(id);
  let layer;
  let view: UpperView | undefined;
  try {
    const snaps = deps.stores.snapshots;
    // overlay: the upper dir; btrfs/vfs: their changes laid out as one (snapshots/upper-view.ts).
    const init = path.join(await snaps.dirPath(rec.cfg.snapshotKey), INIT_LAYER_DIR);
    view = await upperView(snaps, rec.cfg.snapshotKey, { extraLowers: [init] });
    const { upper, lowers } = view;
    const active = rec.state.status === 'running' || rec.state.status === 'paused';
    let drop: string[] = [];
    // An exited container's mount targets are recreated at its next start: delete them; a live
    // container's are mounted over: leave them and filter them out of the tar instead.
    if (active) drop = await runtimeArtifacts(upper, lowers);
    else await removeRuntimeArtifacts(upper, lowers);
    const entries = (await readdir(upper)).filter((n) => !drop.includes(n));
    if (entries.length) {
      // The user namespace fallback's upper holds host ids: the layer gets the container's (tar-ids.ts).
      const ids = rec.cfg.usernsLowers && rec.cfg.userns ? toContainer(rec.cfg.userns) : undefined;
      const tarStream = drop.length || ids ? withoutEntries(diffDirectory(upper), new Set(drop), ids) : diffDirectory(upper);
      const w = await writeLayer(tarStream, deps.stores.content, { level: LAYER_GZIP_LEVEL });
      layer = { ...w, diffSize: (await diskUsage(upper)).size };
    }
  } finally {
    await view?.release();
    if (pause) await deps.containers.unpause(id).catch(() => {});
  }

  const image = await createStepImage(deps.stores, {
    parent,
    parentConfig,
    config,
    stepCmd: containerConfig.Cmd ?? [],
    layer: layer ?? null,
    containerId: id,
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.comment ? { comment: opts.comment } : {}),
  });
  // Unpack the new layer now, as import, pull and build do, so the image can be analysed (and run)
  // without a first container having to unpack it.
  await unpackImage(
    deps.stores.snapshots,
    deps.stores.content,
    image.layers.map((l, i) => ({ digest: l.digest, diffId: image.diffIds[i]! })),
  );
  if (ref) {
    try {
      await deps.stores.images.tag(image.id, ref);
    } catch (e) {
      throw e instanceof ImageError ? new EngineError(e.statusCode, e.message, { cause: e }) : e;
    }
  }
  const attrs: Record<string, string> = { comment: opts.comment ?? '', imageID: image.id, imageRef: ref ?? '', name: rec.cfg.name.replace(/^\//, '') };
  deps.events.emit('container', 'commit', id, attrs);
  if (ref) deps.events.emit('image', 'tag', image.id, { name: ref });
  return { Id: image.id };
}
