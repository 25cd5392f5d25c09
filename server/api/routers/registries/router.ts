import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { listRepositories, listTags, RegistryPolicy } from '@berth/runtime';
import { adminProcedure, protectedProcedure, router } from '../../trpc.ts';
import { call } from '../engine-context.ts';
import { authFor, normalizeRegistryUrl, sealSecret } from '../../../registries/credentials.ts';

const host = z
  .string()
  .trim()
  .max(255)
  .transform(normalizeRegistryUrl)
  .refine((u) => /^[a-z0-9.-]+(:\d{1,5})?$/.test(u), 'Use host[:port], e.g. registry.example.com or 127.0.0.1:5000.');
/** Distribution repository names: lowercase path components (the spec's grammar). */
const repoName = z.string().max(255).regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, 'A repository name such as library/busybox.');
const page = { n: z.number().int().min(1).max(1000).default(100), last: z.string().max(512).optional() };

const addInput = z.object({
  url: z.string().trim().min(1, 'Give the registry address.').max(255).refine((u) => /^[a-z0-9.-]+(:\d{1,5})?$/.test(normalizeRegistryUrl(u)), 'Use host[:port], e.g. registry.example.com or 127.0.0.1:5000.'),
  username: z.string().trim().min(1, 'Give the user name.').max(255),
  secret: z.string().min(1, 'Give the password or token.').max(8192),
});

/** The engine's own policy (allow-list, insecure hosts, offline), so browsing reaches only what pulls may. */
const policy = () => RegistryPolicy.fromEnv();

export const registriesRouter = router({
  /** Repositories of a registry (distribution catalog API), with its stored login if any. */
  catalog: protectedProcedure.input(z.object({ url: host, ...page })).query(async ({ ctx, input }) => {
    const authconfig = await authFor(ctx.services, `${input.url}/x`);
    return call(() => listRepositories(input.url, { policy: policy(), authconfig, n: input.n, last: input.last }));
  }),

  /** Tags of one repository (distribution tags API). */
  tags: protectedProcedure.input(z.object({ url: host, repo: repoName, ...page })).query(async ({ ctx, input }) => {
    const authconfig = await authFor(ctx.services, `${input.url}/x`);
    return call(() => listTags(input.url, input.repo, { policy: policy(), authconfig, n: input.n, last: input.last }));
  }),

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
