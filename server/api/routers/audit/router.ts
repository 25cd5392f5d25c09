import { z } from 'zod';
import { hasRole } from '../../../auth/roles.ts';
import { protectedProcedure, router } from '../../trpc.ts';

export const auditListInput = z.object({
  actor: z.string().max(64).optional(),
  action: z.string().max(100).optional(),
  result: z.enum(['success', 'failure', 'denied']).optional(),
  from: z.date().optional(),
  to: z.date().optional(),
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(500).default(100),
});

export const auditRouter = router({
  /**
   * Newest first, paged by id. Admins read every entry; operators and viewers only their own: the log
   * tells who did what and from which IP, which is not theirs to read about others (docs/security.md).
   */
  list: protectedProcedure.input(auditListInput).query(async ({ ctx, input }) => {
    const user = ctx.session.user;
    const own = hasRole(user.role, 'admin') ? undefined : { actorType: 'user', actorId: user.id };
    const rows = await ctx.services.db.auditLog.findMany({
      where: {
        ...own,
        actorName: input.actor ? { contains: input.actor } : undefined,
        action: input.action ? { contains: input.action } : undefined,
        result: input.result,
        at: input.from || input.to ? { gte: input.from, lte: input.to } : undefined,
        id: input.cursor ? { lt: input.cursor } : undefined,
      },
      orderBy: { id: 'desc' },
      take: input.limit + 1,
    });
    const more = rows.length > input.limit;
    const items = more ? rows.slice(0, input.limit) : rows;
    return { items, nextCursor: more ? items[items.length - 1]?.id : undefined };
  }),
});
