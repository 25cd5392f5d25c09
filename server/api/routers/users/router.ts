import { randomUUID } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { hashPassword } from '../../../auth/password.ts';
import { liveCredentials } from '../../../auth/live-credentials.ts';
import { revokeUserSessions } from '../../../auth/sessions.ts';
import type { Db } from '../../../db/client.ts';
import { adminProcedure, router } from '../../trpc.ts';
import { createUserInput, removeUserInput, resetPasswordInput, setRoleInput } from './schemas.ts';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

async function findUser(tx: Tx | Db, id: string) {
  const user = await tx.user.findUnique({ where: { id } });
  if (!user) throw new TRPCError({ code: 'NOT_FOUND', message: `No such user: ${id}` });
  return user;
}

/** The last admin can be neither demoted nor deleted, or nobody could manage Berth any more. */
async function assertNotLastAdmin(tx: Tx, user: { id: string; role: string }, verb: string): Promise<void> {
  if (user.role !== 'admin') return;
  const admins = await tx.user.count({ where: { role: 'admin' } });
  if (admins <= 1) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: `Cannot ${verb} the last admin.` });
}

const publicFields = { id: true, username: true, role: true, createdAt: true, updatedAt: true } as const;

export const usersRouter = router({
  list: adminProcedure.query(({ ctx }) => ctx.services.db.user.findMany({ select: publicFields, orderBy: { username: 'asc' } })),

  create: adminProcedure.input(createUserInput).mutation(async ({ ctx, input }) => {
    const db = ctx.services.db;
    if (await db.user.findUnique({ where: { username: input.username } })) {
      throw new TRPCError({ code: 'CONFLICT', message: `The username ${input.username} is taken.` });
    }
    const passwordHash = await hashPassword(input.password);
    return db.user.create({
      data: { id: randomUUID(), username: input.username, passwordHash, role: input.role },
      select: publicFields,
    });
  }),

  setRole: adminProcedure.input(setRoleInput).mutation(async ({ ctx, input }) => {
    return ctx.services.db.$transaction(async (tx) => {
      const user = await findUser(tx, input.id);
      ctx.audit.target = `${user.username} → ${input.role}`;
      if (input.role !== 'admin') await assertNotLastAdmin(tx, user, 'demote');
      const updated = await tx.user.update({ where: { id: user.id }, data: { role: input.role }, select: publicFields });
      // Open sockets and streams were allowed under the old role: they reconnect under the new one.
      liveCredentials.cutUser(user.id, 'account changed', true);
      return updated;
    });
  }),

  resetPassword: adminProcedure.input(resetPasswordInput).mutation(async ({ ctx, input }) => {
    const db = ctx.services.db;
    const user = await findUser(db, input.id);
    ctx.audit.target = user.username;
    await db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(input.password) } });
    await revokeUserSessions(db, user.id);
    return { ok: true };
  }),

  remove: adminProcedure.input(removeUserInput).mutation(async ({ ctx, input }) => {
    return ctx.services.db.$transaction(async (tx) => {
      const user = await findUser(tx, input.id);
      ctx.audit.target = user.username;
      await assertNotLastAdmin(tx, user, 'delete');
      await tx.user.delete({ where: { id: user.id } });
      liveCredentials.cutUser(user.id, 'account changed', true);
      return { ok: true };
    });
  }),
});
