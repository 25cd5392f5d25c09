import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { clearedSessionCookie, sessionCookie } from '../../../auth/cookies.ts';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../../../auth/password.ts';
import { ldapAuthenticate, provisionLdapUser, readLdapSettings, type LdapSettings } from '../../../auth/ldap.ts';
import { localLoginAllowed, readLocalLogin } from '../../../auth/oidc-local-login.ts';
import { createSession, revokeSession, revokeUserSessions } from '../../../auth/sessions.ts';
import { protectedProcedure, publicProcedure, router, type Context } from '../../trpc.ts';
import { changePasswordInput, loginInput, setupInput } from './schemas.ts';

async function startSession(ctx: Context, userId: string): Promise<void> {
  const { token, expiresAt } = await createSession(ctx.services.db, userId, {
    ip: ctx.ip,
    userAgent: ctx.req?.headers['user-agent'] ?? null,
  });
  ctx.res?.appendHeader('Set-Cookie', sessionCookie(token, expiresAt, ctx.services.config.tls !== null));
}

async function ldapLogin(ctx: Context, ldap: LdapSettings, input: { username: string; password: string }, keys: { account: string; ip: string }) {
  const outcome = await ldapAuthenticate(ldap, input.username, input.password);
  if (!outcome.ok) {
    if (outcome.kind === 'credentials') ctx.services.throttle.recordFailure(keys);
    const code = outcome.kind === 'credentials' ? 'UNAUTHORIZED' : outcome.kind === 'unmapped' ? 'FORBIDDEN' : 'SERVICE_UNAVAILABLE';
    throw new TRPCError({ code, message: outcome.reason });
  }
  const provisioned = await provisionLdapUser(ctx.services.db, outcome);
  if (!provisioned.ok) throw new TRPCError({ code: 'CONFLICT', message: provisioned.reason });
  ctx.services.throttle.recordSuccess(keys);
  const user = provisioned.user;
  ctx.audit.actor = { type: 'user', id: user.id, name: user.username };
  await startSession(ctx, user.id);
  return { id: user.id, username: user.username, role: user.role };
}

export const authRouter = router({
  /** Who is signed in, and whether first-run setup is still pending. Public by design. */
  me: publicProcedure.query(async ({ ctx }) => {
    const needsSetup = (await ctx.services.db.user.count()) === 0;
    return {
      user: ctx.session?.user ?? null,
      needsSetup,
      setupTokenRequired: needsSetup && ctx.services.setupToken.requiredFor(ctx.req),
    };
  }),

  /** First run: creates the admin. Refused once any user exists. */
  setup: publicProcedure.input(setupInput).mutation(async ({ ctx, input }) => {
    // DNS rebinding or a proxy could make a stranger look local; only a browser on this machine goes without.
    if (ctx.services.setupToken.requiredFor(ctx.req) && !ctx.services.setupToken.matches(input.setupToken)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'The setup token is wrong. It is printed in the server console.' });
    }
    const passwordHash = await hashPassword(input.password);
    const db = ctx.services.db;
    const user = await db.$transaction(async (tx) => {
      if ((await tx.user.count()) > 0) return null;
      return tx.user.create({ data: { id: randomUUID(), username: input.username, passwordHash, role: 'admin' } });
    });
    if (!user) throw new TRPCError({ code: 'CONFLICT', message: 'Setup is already done. Sign in instead.' });
    ctx.audit.actor = { type: 'user', id: user.id, name: user.username };
    await startSession(ctx, user.id);
    return { id: user.id, username: user.username, role: user.role };
  }),

  login: publicProcedure.input(loginInput).mutation(async ({ ctx, input }) => {
    const keys = { account: input.username, ip: ctx.ip };
    const waitMs = ctx.services.throttle.retryAfterMs(keys);
    ctx.audit.target = input.username;
    if (waitMs > 0) {
      throw new TRPCError({
        code: 'TOO_MANY_REQUESTS',
        message: `Too many failed sign-ins. Try again in ${Math.ceil(waitMs / 1000)} s.`,
      });
    }
    const user = await ctx.services.db.user.findUnique({ where: { username: input.username } });
    // Directory users (and unknown names, when LDAP is set up) are checked against the directory.
    if (!user || user.authSource === 'ldap') {
      const ldap = await readLdapSettings(ctx.services.db, ctx.services.config.root);
      if (ldap?.enabled) return ldapLogin(ctx, ldap, input, keys);
    }
    const ok = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) {
      ctx.services.throttle.recordFailure(keys);
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Wrong username or password.' });
    }
    // Checked after the password, so it reveals nothing about which accounts exist.
    if (!localLoginAllowed(await readLocalLogin(ctx.services.db), user.username)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Local sign-in is turned off. Sign in with single sign-on.' });
    }
    ctx.services.throttle.recordSuccess(keys);
    ctx.audit.actor = { type: 'user', id: user.id, name: user.username };
    await startSession(ctx, user.id);
    return { id: user.id, username: user.username, role: user.role };
  }),

  logout: protectedProcedure.mutation(async ({ ctx }) => {
    await revokeSession(ctx.services.db, ctx.session.id);
    ctx.res?.appendHeader('Set-Cookie', clearedSessionCookie(ctx.services.config.tls !== null));
    return { ok: true };
  }),

  changePassword: protectedProcedure.input(changePasswordInput).mutation(async ({ ctx, input }) => {
    const db = ctx.services.db;
    const user = await db.user.findUniqueOrThrow({ where: { id: ctx.session.user.id } });
    if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'The current password is wrong.' });
    }
    await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.newPassword) } });
    // Other devices are signed out; this one gets a fresh session.
    await revokeUserSessions(db, user.id);
    await startSession(ctx, user.id);
    return { ok: true };
  }),
});
