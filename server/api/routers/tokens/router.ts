// API tokens and sign-in sessions: each user sees and revokes their own; admins see and revoke anyone's.
import { TRPCError } from '@trpc/server';
import { hasRole } from '../../../auth/roles.ts';
import { revokeSession } from '../../../auth/sessions.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../../../auth/tokens.ts';
import { protectedProcedure, router, type Context } from '../../trpc.ts';
import { createTokenInput, idInput, listInput } from './schemas.ts';

type Signed = Context & { session: NonNullable<Context['session']> };

/** null = everyone's (admin asked for all); otherwise the caller's own id. */
function scopeOf(ctx: Signed, all: boolean): string | null {
  if (!all) return ctx.session.user.id;
  if (!hasRole(ctx.session.user.role, 'admin')) throw new TRPCError({ code: 'FORBIDDEN', message: "Only an admin can see other users' sessions and tokens." });
  return null;
}

const isAdmin = (ctx: Signed): boolean => hasRole(ctx.session.user.role, 'admin');

export const tokensRouter = router({
  /** Answers the secret once; only its hash is stored. */
  create: protectedProcedure.input(createTokenInput).mutation(async ({ ctx, input }) => {
    // A token minting tokens would outlive its own revocation.
    if (ctx.session.token) throw new TRPCError({ code: 'FORBIDDEN', message: 'API tokens are created from a signed-in session, not with another token.' });
    const r = await createApiToken(ctx.services.db, ctx.session.user, input);
    if (!r.ok) throw new TRPCError({ code: r.code, message: r.message });
    return { token: r.token, ...r.summary };
  }),

  list: protectedProcedure.input(listInput).query(({ ctx, input }) => listApiTokens(ctx.services.db, scopeOf(ctx, input.all))),

  revoke: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const gone = await revokeApiToken(ctx.services.db, input.id, isAdmin(ctx) ? null : ctx.session.user.id);
    if (!gone) throw new TRPCError({ code: 'NOT_FOUND', message: `No such token: ${input.id}` });
    ctx.audit.target = `${gone.username}/${gone.name}`;
    return { ok: true };
  }),

  sessions: protectedProcedure.input(listInput).query(async ({ ctx, input }) => {
    const userId = scopeOf(ctx, input.all);
    const rows = await ctx.services.db.session.findMany({
      where: { ...(userId === null ? {} : { userId }), expiresAt: { gt: new Date() } },
      include: { user: { select: { username: true } } },
      orderBy: { lastSeenAt: 'desc' },
    });
    return rows.map((r) => ({
      id: r.id,
      userId: r.userId,
      username: r.user.username,
      createdAt: r.createdAt,
      lastSeenAt: r.lastSeenAt,
      expiresAt: r.expiresAt,
      ip: r.ip,
      userAgent: r.userAgent,
      current: r.id === ctx.session.id,
    }));
  }),

  revokeSession: protectedProcedure.input(idInput).mutation(async ({ ctx, input }) => {
    const db = ctx.services.db;
    const row = await db.session.findUnique({ where: { id: input.id }, include: { user: { select: { username: true } } } });
    if (!row || (!isAdmin(ctx) && row.userId !== ctx.session.user.id)) throw new TRPCError({ code: 'NOT_FOUND', message: `No such session: ${input.id}` });
    ctx.audit.target = `${row.user.username} session from ${row.ip ?? 'unknown address'}`;
    await revokeSession(db, row.id);
    return { ok: true };
  }),
});
