import { adminProcedure, protectedProcedure, router } from '../../trpc.ts';
import { containerDefaults, outboundSetting, readDefaults, readOutbound, readUserns, usernsSetting, writeDefaults, writeOutbound, writeUserns } from '../../../settings/store.ts';

export const settingsRouter = router({
  /** Prefills the create form: limits, restart policy and network. */
  containerDefaults: protectedProcedure.query(({ ctx }) => readDefaults(ctx.services.db)),
  setContainerDefaults: adminProcedure.input(containerDefaults).mutation(async ({ ctx, input }) => {
    await writeDefaults(ctx.services.db, input);
    return input;
  }),

  /** The embedded engine reads this when it is constructed: a change applies after a restart. */
  outbound: protectedProcedure.query(({ ctx }) => readOutbound(ctx.services.db)),
  setOutbound: adminProcedure.input(outboundSetting).mutation(async ({ ctx, input }) => {
    ctx.audit.target = input.enabled ? 'on' : 'off';
    await writeOutbound(ctx.services.db, input);
    return { ...input, appliesOnRestart: true };
  }),

  /** The default user namespace of new containers; like outbound, read when the engine is created. */
  userns: protectedProcedure.query(async ({ ctx }) => {
    const saved = await readUserns(ctx.services.db);
    return { mode: saved?.mode ?? null, env: process.env['BERTH_USERNS'] ?? null };
  }),
  setUserns: adminProcedure.input(usernsSetting).mutation(async ({ ctx, input }) => {
    ctx.audit.target = input.mode;
    await writeUserns(ctx.services.db, input);
    return { ...input, appliesOnRestart: true };
  }),
});
