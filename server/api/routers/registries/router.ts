import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { adminProcedure, protectedProcedure, router } from '../../trpc.ts';
import { normalizeRegistryUrl, sealSecret } from './credentials.ts';

const addInput = z.object({
  url: z.string().trim().min(1, 'Give the registry address.').max(255).refine((u) => /^[a-z0-9.-]+(:\d{1,5})?$/.test(normalizeRegistryUrl(u)), 'Use host[:port], e.g. registry.example.com or 127.0.0.1:5000.'),
  username: z.string().trim().min(1, 'Give the user name.').max(255),
  secret: z.string().min(1, 'Give the password or token.').max(8192),
});

export const registriesRouter = router({
  /** Registries with a stored login; the secret never leaves the server. */
  list: protectedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.services.db.registryCredential.findMany({ orderBy: { url: 'asc' } });
    return rows.map((r) => ({ id: r.id, url: r.url, username: r.username, updatedAt: r.updatedAt }));
  }),

  /** Adds or replaces the login for a registry host. */
  save: adminProcedure.input(addInput).mutation(async ({ ctx, input }) => {
    const url = normalizeRegistryUrl(input.url);
    ctx.audit.target = url;
    const secretSealed = sealSecret(ctx.services, input.secret);
    const row = await ctx.services.db.registryCredential.upsert({
      where: { url },
      create: { id: randomUUID(), url, username: input.username, secretSealed },
      update: { username: input.username, secretSealed },
    });
    return { id: row.id, url };
  }),

  remove: adminProcedure.input(z.object({ id: z.string().min(1).max(64) })).mutation(async ({ ctx, input }) => {
    const row = await ctx.services.db.registryCredential.findUnique({ where: { id: input.id } });
    if (!row) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such registry login.' });
    ctx.audit.target = row.url;
    await ctx.services.db.registryCredential.delete({ where: { id: input.id } });
    return { ok: true };
  }),
});
