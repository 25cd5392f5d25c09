import type { ContainerSummary } from '@berth/runtime/engine';
import { z } from 'zod';
import { operatorProcedure, protectedProcedure, router } from '../../trpc.ts';
import { call, engineOf } from '../engine-context.ts';
import { watchList } from '../images/watch-list.ts';

type Engine = Awaited<ReturnType<typeof engineOf>>;
const volumeName = z.string().trim().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'Volume names use letters, digits, _ . - and start with a letter or digit.');
const labels = z.array(z.object({ key: z.string().trim().min(1).max(255), value: z.string().max(4096) })).max(100).default([]);

const users = (containers: ContainerSummary[], name: string) =>
  containers
    .filter((c) => (c.Mounts ?? []).some((m) => m.Type === 'volume' && m.Name === name))
    .map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''), state: c.State }));

async function volumeRows(engine: Engine) {
  const [list, containers] = await Promise.all([call(() => engine.listVolumes()), call(() => engine.listContainers({ all: true }))]);
  return (list.Volumes ?? [])
    .map((v) => ({ name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint, createdAt: v.CreatedAt, labels: v.Labels ?? {}, usedBy: users(containers, v.Name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const volumesRouter = router({
  list: protectedProcedure.query(async ({ ctx }) => volumeRows(await engineOf(ctx))),
  watchList: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    const engine = await engineOf(ctx);
    yield* watchList(engine, ['volume', 'container'], () => volumeRows(engine), signal);
  }),
  inspect: protectedProcedure.input(z.object({ name: volumeName })).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    const [volume, containers] = await Promise.all([call(() => engine.getVolume(input.name).inspect()), call(() => engine.listContainers({ all: true }))]);
    return { volume, usedBy: users(containers, input.name) };
  }),
  create: operatorProcedure.input(z.object({ name: volumeName.optional().or(z.literal('')), labels })).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = input.name || '(generated)';
    const v = await call(() =>
      engine.createVolume({ Name: input.name || undefined, Labels: Object.fromEntries(input.labels.map((l) => [l.key, l.value])) }),
    );
    return { name: v.Name };
  }),
  remove: operatorProcedure.input(z.object({ name: volumeName, force: z.boolean().default(false) })).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = input.name;
    await call(() => engine.getVolume(input.name).remove({ force: input.force }));
    return { ok: true };
  }),
  prune: operatorProcedure.mutation(async ({ ctx }) => {
    const engine = await engineOf(ctx);
    const r = await call(() => engine.pruneVolumes());
    return { deleted: r.VolumesDeleted ?? [], spaceReclaimed: r.SpaceReclaimed ?? 0 };
  }),
});
