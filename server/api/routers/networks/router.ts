import type { ContainerSummary } from '@berth/runtime/engine';
import { z } from 'zod';
import { operatorProcedure, protectedProcedure, router } from '../../trpc.ts';
import { call, engineOf } from '../engine-context.ts';
import { watchList } from '../images/watch-list.ts';

type Engine = Awaited<ReturnType<typeof engineOf>>;
const idOrName = z.string().trim().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
const cidr = z.string().trim().max(64).regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^$/, 'A subnet like 10.90.0.0/24, or empty for automatic.');
const ipv4 = z.string().trim().max(64).regex(/^(\d{1,3}\.){3}\d{1,3}$|^$/, 'An address like 10.90.0.1, or empty.');

const containerName = (c: ContainerSummary) => (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');

async function networkRows(engine: Engine) {
  const [list, containers] = await Promise.all([call(() => engine.listNetworks()), call(() => engine.listContainers({ all: true }))]);
  return list
    .map((n) => ({
      id: n.Id,
      name: n.Name,
      driver: n.Driver,
      internal: n.Internal,
      subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s),
      created: n.Created,
      // Stopped containers are not in the network's own Containers map; their settings still name it.
      usedBy: containers
        .filter((c) => Object.keys(c.NetworkSettings?.Networks ?? {}).includes(n.Name))
        .map((c) => ({ id: c.Id, name: containerName(c), state: c.State })),
      builtin: ['bridge', 'host', 'none'].includes(n.Name),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const networksRouter = router({
  list: protectedProcedure.query(async ({ ctx }) => networkRows(await engineOf(ctx))),
  watchList: protectedProcedure.subscription(async function* ({ ctx, signal }) {
    const engine = await engineOf(ctx);
    yield* watchList(engine, ['network', 'container'], () => networkRows(engine), signal);
  }),
  inspect: protectedProcedure.input(z.object({ id: idOrName })).query(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    return call(() => engine.getNetwork(input.id).inspect());
  }),
  create: operatorProcedure
    .input(z.object({ name: idOrName, internal: z.boolean().default(false), subnet: cidr.default(''), gateway: ipv4.default('') }))
    .mutation(async ({ ctx, input }) => {
      const engine = await engineOf(ctx);
      ctx.audit.target = input.name;
      const config = input.subnet ? [{ Subnet: input.subnet, ...(input.gateway ? { Gateway: input.gateway } : {}) }] : undefined;
      const n = await call(() =>
        engine.createNetwork({ Name: input.name, Driver: 'bridge', CheckDuplicate: true, Internal: input.internal, ...(config ? { IPAM: { Driver: 'default', Config: config } } : {}) }),
      );
      return { id: n.id };
    }),
  remove: operatorProcedure.input(z.object({ id: idOrName })).mutation(async ({ ctx, input }) => {
    const engine = await engineOf(ctx);
    ctx.audit.target = input.id;
    await call(() => engine.getNetwork(input.id).remove());
    return { ok: true };
  }),
  prune: operatorProcedure.mutation(async ({ ctx }) => {
    const engine = await engineOf(ctx);
    const r = await call(() => engine.pruneNetworks());
    return { deleted: r.NetworksDeleted ?? [] };
  }),
});
