// Identity settings (admin): OIDC provider and role mappings, and whether local accounts may sign in.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { ldapSettingsSchema, readLdapSettings, writeLdapSettings } from '../../../auth/ldap.ts';
import { SCOPED_ROLES } from '../../../auth/endpoint-roles.ts';
import { liveCredentials } from '../../../auth/live-credentials.ts';
import { checkLocalLogin, localLoginSchema, readLocalLogin, writeLocalLogin } from '../../../auth/oidc-local-login.ts';
import { OIDC_START_PATH, oidcSettingsSchema, readOidcSettings, readOidcSettingsAny, writeOidcSettings } from '../../../auth/oidc.ts';
import { adminProcedure, publicProcedure, router } from '../../trpc.ts';

/** The secret may be left empty on save to keep the stored one. */
const oidcInput = oidcSettingsSchema.extend({ clientSecret: z.string().max(500).default('') });
const ldapInput = z.object({ settings: z.unknown() });

export const identityRouter = router({
  /** For the login page: which sign-in methods exist. Public by design; names nothing secret. */
  methods: publicProcedure.query(async ({ ctx }) => {
    const oidc = await readOidcSettings(ctx.services.db, ctx.services.config.root);
    const local = await readLocalLogin(ctx.services.db);
    return { oidc: oidc ? { startUrl: OIDC_START_PATH } : null, localEnabled: local.enabled };
  }),

  get: adminProcedure.query(async ({ ctx }) => {
    const oidc = await readOidcSettingsAny(ctx.services.db, ctx.services.config.root);
    const ldap = await readLdapSettings(ctx.services.db, ctx.services.config.root);
    return {
      oidc: oidc ? { ...oidc, clientSecret: '', hasClientSecret: oidc.clientSecret !== '' } : null,
      ldap: ldap ? { ...ldap, bindPassword: '' } : null,
      localLogin: await readLocalLogin(ctx.services.db),
    };
  }),

  setOidc: adminProcedure.input(oidcInput).mutation(async ({ ctx, input }) => {
    const previous = await readOidcSettingsAny(ctx.services.db, ctx.services.config.root);
    const clientSecret = input.clientSecret || previous?.clientSecret || '';
    if (!clientSecret) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Enter the client secret.' });
    ctx.audit.target = input.issuer;
    await writeOidcSettings(ctx.services.db, ctx.services.config.root, { ...input, clientSecret });
    return { ok: true };
  }),

  /** The bind password may be left empty to keep the stored one. */
  setLdap: adminProcedure.input(ldapInput).mutation(async ({ ctx, input }) => {
    const previous = await readLdapSettings(ctx.services.db, ctx.services.config.root);
    const raw = (input.settings ?? {}) as Record<string, unknown>;
    const parsed = ldapSettingsSchema.safeParse({ ...raw, bindPassword: raw.bindPassword || previous?.bindPassword || '' });
    if (!parsed.success) throw new TRPCError({ code: 'BAD_REQUEST', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    ctx.audit.target = parsed.data.url;
    await writeLdapSettings(ctx.services.db, ctx.services.config.root, parsed.data);
    return { ok: true };
  }),

  /** Per-endpoint roles; `role: null` removes the override. */
  endpointRoles: adminProcedure.query(({ ctx }) =>
    ctx.services.db.endpointRole.findMany({ include: { user: { select: { username: true } } }, orderBy: [{ endpointId: 'asc' }, { userId: 'asc' }] }),
  ),

  setEndpointRole: adminProcedure
    .input(z.object({ userId: z.string().min(1).max(64), endpointId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), role: z.enum(SCOPED_ROLES).nullable() }))
    .mutation(async ({ ctx, input }) => {
      const db = ctx.services.db;
      const user = await db.user.findUnique({ where: { id: input.userId } });
      if (!user) throw new TRPCError({ code: 'NOT_FOUND', message: `No such user: ${input.userId}` });
      ctx.audit.target = `${user.username} on ${input.endpointId} → ${input.role ?? 'global role'}`;
      const key = { userId_endpointId: { userId: user.id, endpointId: input.endpointId } };
      if (input.role === null) await db.endpointRole.deleteMany({ where: { userId: user.id, endpointId: input.endpointId } });
      else await db.endpointRole.upsert({ where: key, create: { userId: user.id, endpointId: input.endpointId, role: input.role }, update: { role: input.role } });
      // Open sockets and streams were allowed under the old role: they reconnect under the new one.
      liveCredentials.cutUser(user.id, 'account changed', true);
      return { ok: true };
    }),

  setLocalLogin: adminProcedure.input(localLoginSchema).mutation(async ({ ctx, input }) => {
    const check = await checkLocalLogin(ctx.services.db, input);
    if (!check.ok) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: check.message });
    ctx.audit.target = input.enabled ? 'local sign-in on' : `local sign-in off (break-glass ${input.breakGlass})`;
    await writeLocalLogin(ctx.services.db, input);
    return { ok: true };
  }),
});
