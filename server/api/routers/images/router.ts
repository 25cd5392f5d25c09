import type { Readable } from 'node:stream';
import type { ContainerSummary, ImageSummary } from '@berth/runtime/engine';
import { TRPCError } from '@trpc/server';
import { writeAudit } from '../../../audit/audit-log.ts';
import { ndjson } from '../../../engine/streams.ts';
import { operatorProcedure, protectedProcedure, router, type Context } from '../../trpc.ts';
import { call, engineOf } from '../engine-context.ts';
import { authFor } from '../../../registries/credentials.ts';
import { toLayerProgress, type LayerProgress, type ProgressLine } from './progress.ts';
import { watchList } from './watch-list.ts';
import { checkUpdates } from '../updates/router.ts';
import { pruneImagesInput, refInput, removeImageInput, tagInput } from './schemas.ts';

type Engine = Awaited<ReturnType<typeof engineOf>>;

export interface ImageRow {
  id: string;
  tags: string[];
  size: number;
  created: number;
  layers: number;
  /** Containers (any state) created from this image: name and id. */
  usedBy: { id: string; name: string; state: string }[];
}

const containerName = (c: ContainerSummary) => (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');

async function imageRows(engine: Engine): Promise<ImageRow[]> {
  const [images, containers] = await Promise.all([call(() => engine.listImages({})), call(() => engine.listContainers({ all: true }))]);
  const layers = await Promise.all(
    images.map((i: ImageSummary) =>
      engine
        .getImage(i.Id)
        .inspect()
        .then((x) => x.RootFS?.Layers?.length ?? 0)
        .catch(() => 0),
    ),
  );
  return images
    .map((i, n) => ({
      id: i.Id,
      tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      size: i.Size,
      created: i.Created,
      layers: layers[n] ?? 0,
      usedBy: containers.filter((c) => c.ImageID === i.Id).map((c) => ({ id: c.Id, name: containerName(c), state: c.State })),
    }))
    .sort((a, b) => b.created - a.created);
}

/** Subscriptions are not audited by the middleware; pulls and pushes leave a line themselves. */
async function auditStream(ctx: Context, action: string, target: string, error: string | null): Promise<void> {
  const user = ctx.session?.user;
  await writeAudit(ctx.services.db, {
    actor: user ? { type: 'user', id: user.id, name: user.username } : { type: 'anonymous', name: 'anonymous' },
    action,
    target,
    result: error ? 'failure' : 'success',
    error,
    ip: ctx.ip,
  });
}

async function* progressOf(ctx: Context, action: string, ref: string, open: () => Promise<Readable>, signal: AbortSignal | undefined): AsyncGenerator<LayerProgress> {
  let error: string | null = null;
  try {
    const stream = await call(open);
    for await (const line of ndjson<ProgressLine>(stream, signal)) {
      const p = toLayerProgress(line);
      if (p.error) error = p.error;
      yield p;
    }
    if (signal?.aborted && !error) error = 'cancelled';
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    await auditStream(ctx, action, ref, error).catch(() => undefined);
  }
}

export const imagesRouter = router({
  checkUpdates,
  list: protectedProcedure.query(async ({ ctx }) => imageRows(await engineOf(ctx))),
  watchList: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    const engine = await engineOf(ctx);
    yield* watchList(engine, ['image', 'container'], () => imageRows(engine), signal);
  }),

  inspect: protectedProcedure.input(refInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return call(() => engine.getImage(input.ref).inspect());
  }),
  history: protectedProcedure.input(refInput).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return call(() => engine.getImage(input.ref).history());
  }),

  tag: operatorProcedure.input(tagInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = `${input.ref} → ${input.repo}:${input.tag}`;
    await call(() => engine.getImage(input.ref).tag({ repo: input.repo, tag: input.tag || 'latest' }));
    return { ok: true };
  }),

  /** Refuses (409) while containers use the image unless forced, naming them, as `docker rmi` does. */
  remove: operatorProcedure.input(removeImageInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = input.ref;
    return call(() => engine.getImage(input.ref).remove({ force: input.force }));
  }),

  prune: operatorProcedure.input(pruneImagesInput).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    const r = await call(() => engine.pruneImages({ filters: { dangling: [input.all ? 'false' : 'true'] } }));
    return { deleted: r.ImagesDeleted?.length ?? 0, spaceReclaimed: r.SpaceReclaimed ?? 0 };
  }),

  /** `docker pull` with the stored registry login; each progress line as it arrives. */
  pull: operatorProcedure.input(refInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    const authconfig = await authFor(ctx.services, input.ref);
    const ref = input.ref.includes(':') || input.ref.includes('@') ? input.ref : `${input.ref}:latest`;
    yield* progressOf(ctx, 'images.pull', ref, () => engine.pull(ref, { authconfig }), signal);
  }),

  push: operatorProcedure.input(refInput).subscription(async function* ({ ctx, input, signal }) {
    const engine = await engineOf(ctx);
    const authconfig = await authFor(ctx.services, input.ref);
    const img = engine.getImage(input.ref);
    const known = await img.inspect().catch(() => null);
    if (!known) throw new TRPCError({ code: 'NOT_FOUND', message: `No such image: ${input.ref}` });
    yield* progressOf(ctx, 'images.push', input.ref, () => img.push({ authconfig }), signal);
  }),
});
