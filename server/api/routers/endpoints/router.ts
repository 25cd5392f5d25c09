import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { createDockerodeEngine } from '../../../engine/dockerode-engine.ts';
import { dockerOptionsFor, endpointUrlSchema } from '../../../engine/endpoint-url.ts';
import { LOCAL_ENDPOINT } from '../../../engine/hub.ts';
import { adminProcedure, protectedProcedure, router } from '../../trpc.ts';
import { toTrpcError } from '../engine-context.ts';
import { ENDPOINT_COOKIE, endpointIdOf } from '../../../engine/endpoint-choice.ts';

const pem = (what: string) =>
  z
    .string()
    .trim()
    .max(20_000)
    .optional()
    .default('')
    .refine((s) => s === '' || /-----BEGIN [A-Z ]+-----/.test(s), { message: `${what} must be PEM text (-----BEGIN …).` });

export const endpointCreateInput = z
  .object({
    name: z.string().trim().min(1, 'Give the endpoint a name.').max(64),
    url: endpointUrlSchema,
    tlsCa: pem('The CA certificate'),
    tlsCert: pem('The client certificate'),
    tlsKey: pem('The client key'),
  })
  .superRefine((v, ctx) => {
    if (v.url.startsWith('unix://') && (v.tlsCa || v.tlsCert || v.tlsKey)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'TLS applies to tcp:// endpoints only.' });
    }
    if (Boolean(v.tlsCert) !== Boolean(v.tlsKey)) {
      ctx.addIssue({ code: 'custom', path: [v.tlsCert ? 'tlsKey' : 'tlsCert'], message: 'A client certificate needs its key, and a key its certificate.' });
    }
  });

const idInput = z.object({ id: z.string().min(1).max(64) });

/** Public view of an endpoint: never the TLS key. */
function view(e: { id: string; name: string; kind: string; url: string; tlsCa: string | null; tlsCert: string | null; createdAt: Date }) {
  return { id: e.id, name: e.name, kind: e.kind, url: e.url, tls: Boolean(e.tlsCa || e.tlsCert), createdAt: e.createdAt };
}

async function probe(opts: Parameters<typeof createDockerodeEngine>[0]) {
  const engine = createDockerodeEngine(opts);
  try {
    const v = await engine.version();
    return { ok: true as const, version: `${v.Version} (API ${v.ApiVersion})`, os: `${v.Os}/${v.Arch}` };
  } catch (err) {
    return { ok: false as const, message: toTrpcError(err).message };
  }
}

export const endpointsRouter = router({
  /** This machine plus the remote endpoints, and which one this browser uses. */
  list: protectedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.services.db.endpoint.findMany({ orderBy: { name: 'asc' } });
    const chosen = endpointIdOf(ctx.req);
    const current = chosen && rows.some((r) => r.id === chosen) ? chosen : LOCAL_ENDPOINT;
    return {
      current,
      endpoints: [
        { id: LOCAL_ENDPOINT, name: 'This machine', kind: 'embedded', url: 'embedded Berth engine', tls: false, createdAt: null as Date | null },
        ...rows.map(view),
      ],
    };
  }),

  /** The header's switcher: remembered per browser in a cookie that every request (SSE and websockets too) carries. */
  select: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    if (input.id !== LOCAL_ENDPOINT && !(await ctx.services.db.endpoint.findUnique({ where: { id: input.id } }))) {
      throw new TRPCError({ code: 'NOT_FOUND', message: 'No such endpoint.' });
    }
    const secure = ctx.services.config.tls ? '; Secure' : '';
    ctx.res?.appendHeader('Set-Cookie', `${ENDPOINT_COOKIE}=${input.id}; Path=/; SameSite=Strict; Max-Age=31536000${secure}`);
    return { current: input.id };
  }),

  create: adminProcedure.input(endpointCreateInput).mutation(async ({ ctx, input }) => {
    if (await ctx.services.db.endpoint.findUnique({ where: { name: input.name } })) {
      throw new TRPCError({ code: 'CONFLICT', message: `An endpoint named "${input.name}" exists already.` });
    }
    const row = await ctx.services.db.endpoint.create({
      data: {
        id: randomUUID().replace(/-/g, '').slice(0, 16),
        name: input.name,
        kind: 'docker',
        url: input.url.replace(/\/$/, ''),
        tlsCa: input.tlsCa || null,
        tlsCert: input.tlsCert || null,
        tlsKey: input.tlsKey || null,
      },
    });
    return view(row);
  }),

  /** Asks the endpoint for its version, so an admin sees at once whether the address and TLS work. */
  test: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const row = await ctx.services.db.endpoint.findUnique({ where: { id: input.id } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such endpoint.' });
    return probe(dockerOptionsFor(row));
  }),

  remove: adminProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const row = await ctx.services.db.endpoint.findUnique({ where: { id: input.id } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such endpoint.' });
    await ctx.services.db.endpoint.delete({ where: { id: input.id } });
    ctx.services.engines.remotes?.forget(input.id);
    return { removed: true };
  }),
});
